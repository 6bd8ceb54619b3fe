"""A fitted property predictor on disk: ``RUN_DIR/lso/<property>/predictor.{safetensors,json}``.

The weights are a safetensors file (no pickle), and so are the statistics of the codes
it was fitted on (``codes.safetensors``, :mod:`vaelab.lso.code_stats`); ``predictor.json`` records what the
predictor was fitted to (property, options, checkpoint, number of codes) and how well
it predicts (R² on held-out training codes and on the test codes). It is written last,
so a folder without it holds no usable predictor. A saved predictor is reused while
the checkpoint and options match; otherwise the error asks for ``--refit``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from vaelab.errors import CheckpointError, ConfigError
from vaelab.lso import targets as tg
from vaelab.lso.code_stats import CodeStats
from vaelab.lso.predictor import DEFAULTS, PropertyPredictor, fit_predictor, r2_score
from vaelab.runs.io import atomic_write_bytes, read_fit_record, write_json

WEIGHTS, RECORD = "predictor.safetensors", "predictor.json"
MAX_TRAIN = 50_000  # codes the predictor is fitted on at most (a seeded subset of larger training splits)
MAX_TEST = 10_000  # test codes its R² is measured on at most
REFIT = "pass --refit (API: refit=True) to fit the predictor again"


def lso_dir(run, target: tg.PropertyTarget) -> Path:
    return Path(run.path) / "lso" / target.folder


def _checkpoint(run) -> dict:
    out = {"checkpoint": run.checkpoint}
    out.update({f"checkpoint_{k}": run.meta[k] for k in ("epoch", "step") if k in run.meta})
    return out


def _subset(n: int, limit: int, seed: int) -> np.ndarray:
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


def _codes_and_values(run, target, split: str, limit: int, seed: int, progress: bool):
    """Codes (n, d) and property values (n,) of a seeded subset of a split, rows with unknown values dropped."""
    from vaelab.lso.progress import step_bar

    idx = _subset(len(run.data.split(split)), limit, seed)
    with step_bar(progress and target.source == "rdkit", f"RDKit {target.name} ({split})", len(idx)) as bar:
        y = tg.values(run, target, split, idx, progress=lambda done: bar(done, lambda: ""))
    keep = np.isfinite(y)
    codes = tg.encode_rows(run, split, idx[keep])  # (n, d)
    return codes, torch.as_tensor(y[keep], dtype=torch.float32, device=codes.device)


def _fit(run, target, options: dict, max_train: int, progress: bool) -> tuple[PropertyPredictor, CodeStats, dict]:
    from vaelab import __version__

    t0 = time.perf_counter()
    z, y = _codes_and_values(run, target, "train", max_train, int(options["seed"]), progress)
    if len(y) < 10:
        raise ConfigError(f"only {len(y)} training examples have a known '{target.name}'; the predictor needs 10 "
                          "or more")
    model, fit = fit_predictor(z, y, options, progress=progress)
    zt, yt = _codes_and_values(run, target, "test", MAX_TEST, int(options["seed"]), False)
    with torch.no_grad():
        r2_test = r2_score(model(zt), yt) if len(yt) else float("nan")
    stats = CodeStats.fit(z)
    norms = z.norm(dim=-1)  # (n,)
    mahalanobis = stats.to(z.device).whitened(z).norm(dim=-1)  # (n,)
    record = {"property": target.name, "source": target.source, "description": target.description,
              "options": options, "max_train": max_train, **_checkpoint(run),
              "n_codes": int(len(y)), "n_fit": fit.n_fit, "n_valid": fit.n_valid, "n_test": int(len(yt)),
              "epochs": fit.epochs, "best_epoch": fit.best_epoch, "r2_valid": fit.r2_valid, "r2_test": r2_test,
              "target_mean": float(y.mean()), "target_std": float(y.std()), "target_max": float(y.max()),
              "target_min": float(y.min()), "code_norm_max": float(norms.max()),
              "code_norm_q99": float(norms.quantile(0.99)) if len(norms) > 1 else float(norms.max()),
              "code_mahalanobis_max": float(mahalanobis.max()),
              "fit_time_s": round(time.perf_counter() - t0, 3),
              "fitted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "vaelab_version": __version__}
    return model, stats, record


def _save(folder: Path, model: PropertyPredictor, stats: CodeStats, record: dict) -> None:
    from safetensors.torch import save

    folder.mkdir(parents=True, exist_ok=True)
    (folder / RECORD).unlink(missing_ok=True)  # no record = no predictor, until the weights are in place
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    atomic_write_bytes(folder / WEIGHTS, save(state))
    stats.save(folder)
    write_json(folder / RECORD, record)


def _load(folder: Path, record: dict, run) -> PropertyPredictor:
    from safetensors.torch import load_file

    try:
        state = load_file(folder / WEIGHTS)
        o = record["options"]
        model = PropertyPredictor(int(state["z_mean"].shape[0]), o["hidden"], o.get("output", "linear"))
        model.load_state_dict(state)
    except Exception as err:  # safetensors and load_state_dict raise their own types
        raise CheckpointError(f"the predictor in {folder} is missing or unreadable ({err}); {REFIT}") from None
    return model.to(run.device).eval().requires_grad_(False)


def _read_record(folder: Path) -> dict | None:
    return read_fit_record(folder / RECORD, REFIT)


def _check(record: dict, options: dict, max_train: int, run, folder: Path) -> None:
    same = lambda a, b: json.loads(json.dumps(a)) == json.loads(json.dumps(b))  # noqa: E731 (tuples vs lists)
    if not same(record["options"], options) or record.get("max_train") != max_train:
        raise ConfigError(f"the predictor in {folder} was fitted with other options ({record['options']}, "
                          f"max_train={record.get('max_train')}); {REFIT}")
    now = _checkpoint(run)
    if {k: record.get(k) for k in now} != now:
        raise ConfigError(f"the predictor in {folder} was fitted on checkpoint {record.get('checkpoint')} "
                          f"(epoch {record.get('checkpoint_epoch')}), not on the loaded {now['checkpoint']}; {REFIT}")


def _options(target: tg.PropertyTarget, options: dict | None) -> dict:
    """The predictor options in full: class indicators (``label:K``) get a sigmoid output by default."""
    return {**DEFAULTS, "output": "sigmoid" if target.source == "label" else "linear", **(options or {})}


@dataclass
class Fitted:
    """A predictor with the statistics of its training codes and its record."""

    model: PropertyPredictor
    stats: CodeStats
    record: dict
    fitted_now: bool


def fitted_predictor(run, target: tg.PropertyTarget, options: dict | None = None, refit: bool = False,
                     max_train: int | None = None, progress: bool = True) -> Fitted:
    """The run's predictor for ``target``, fitted once and then reused.

    ``options`` (see :data:`vaelab.lso.predictor.DEFAULTS`) and ``max_train`` (default
    :data:`MAX_TRAIN` codes) left at None accept a saved fit's own; given, they must
    match it, or ``refit`` must be set.
    """
    folder = lso_dir(run, target)
    record = None if refit else _read_record(folder)
    if record is not None:
        asked = {**DEFAULTS, **record["options"]} if options is None else _options(target, options)
        _check(record, asked, record.get("max_train") if max_train is None else max_train, run, folder)
        return Fitted(_load(folder, record, run), CodeStats.load(folder).to(run.device), record, False)
    options = _options(target, options)
    model, stats, record = _fit(run, target, options, MAX_TRAIN if max_train is None else max_train, progress)
    _save(folder, model, stats, record)
    return Fitted(model, stats.to(run.device), record, True)
