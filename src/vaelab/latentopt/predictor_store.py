"""A fitted property predictor on disk: ``RUN_DIR/lso/<property>/predictor.{safetensors,json}``.

The weights are a safetensors file (no pickle), and so are the statistics of the codes
it was fitted on (``codes.safetensors``, :mod:`vaelab.latentopt.code_stats`); ``predictor.json`` records what the
predictor was fitted to (property, options, checkpoint, number of codes) and how well
it predicts (R² on held-out training codes and on the test codes). It is written last,
so a folder without it holds no usable predictor. A saved predictor is reused while
the checkpoint and options match; otherwise the error asks for ``--refit``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from vaelab.errors import CheckpointError, ConfigError
from vaelab.latentopt import targets as tg
from vaelab.latentopt.code_stats import FILE as CODES_FILE
from vaelab.latentopt.code_stats import CodeStats
from vaelab.latentopt.predictor import DEFAULTS, PropertyPredictor, fit_predictor, r2_score
from vaelab.progress import bar as progress_bar
from vaelab.progress import steps_per_redraw
from vaelab.rundir.fits import FitFolder, FitMismatch, checkpoint_stamp, fit_time_fields

WEIGHTS, RECORD = "predictor.safetensors", "predictor.json"
MAX_TRAIN = 50_000  # codes the predictor is fitted on at most (a seeded subset of larger training splits)
MAX_TEST = 10_000  # test codes its R² is measured on at most
REFIT = "pass --refit (API: refit=True) to fit the predictor again"


def lso_dir(run, target: tg.PropertyTarget) -> Path:
    return run.layout.lso(target.folder)


def predictor_folder(run, target: tg.PropertyTarget) -> FitFolder:
    """The fit-store folder of the predictor for ``target``: ``RUN_DIR/lso/<property>/``."""
    return FitFolder(lso_dir(run, target), RECORD, f"the predictor for '{target.name}'", REFIT)


def _subset(n: int, limit: int, seed: int) -> np.ndarray:
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


def _codes_and_values(run, target, split: str, limit: int, seed: int, progress: bool):
    """Codes (n, d) and property values (n,) of a seeded subset of a split, rows with unknown values dropped."""
    idx = _subset(len(run.data.split(split)), limit, seed)
    with progress_bar(f"lso: RDKit {target.name} ({split})", len(idx), progress and target.source == "rdkit",
                      kind="stats", every=steps_per_redraw(len(idx))) as bar:
        y = tg.values(run, target, split, idx, progress=lambda done: bar(done, lambda: ""))
    keep = np.isfinite(y)
    codes = run.encode_means(split, rows=idx[keep])  # (n, d)
    return codes, torch.as_tensor(y[keep], dtype=torch.float32, device=codes.device)


def _fit(run, target, options: dict, max_train: int, progress: bool) -> tuple[PropertyPredictor, CodeStats, dict]:
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
              "options": options, "max_train": max_train, **checkpoint_stamp(run),
              "n_codes": int(len(y)), "n_fit": fit.n_fit, "n_valid": fit.n_valid, "n_test": int(len(yt)),
              "epochs": fit.epochs, "best_epoch": fit.best_epoch, "r2_valid": fit.r2_valid, "r2_test": r2_test,
              "target_mean": float(y.mean()), "target_std": float(y.std()), "target_max": float(y.max()),
              "target_min": float(y.min()), "code_norm_max": float(norms.max()),
              "code_norm_q99": float(norms.quantile(0.99)) if len(norms) > 1 else float(norms.max()),
              "code_mahalanobis_max": float(mahalanobis.max()),
              "fit_time_s": round(time.perf_counter() - t0, 3), **fit_time_fields()}
    return model, stats, record


def _save(store: FitFolder, model: PropertyPredictor, stats: CodeStats, record: dict) -> None:
    store.begin(fresh=False)  # the folder keeps the last optimisation's files
    store.save_arrays(WEIGHTS, model.state_dict())
    store.save_arrays(CODES_FILE, vars(stats))
    store.finish(record)


def _load(store: FitFolder, record: dict, run) -> PropertyPredictor:
    state = store.load_arrays(WEIGHTS)
    try:
        o = record["options"]
        model = PropertyPredictor(int(state["z_mean"].shape[0]), o["hidden"], o.get("output", "linear"))
        model.load_state_dict(state)
    except (KeyError, RuntimeError) as err:
        raise CheckpointError(f"the predictor in {store.folder} does not match its record ({err}); {REFIT}") from None
    return model.to(run.device).eval().requires_grad_(False)


def _check(store: FitFolder, record: dict, options: dict, max_train: int, run) -> None:
    try:
        store.check(record, options, run, max_train=max_train)
    except FitMismatch as err:
        raise ConfigError(str(err)) from None


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

    ``options`` (see :data:`vaelab.latentopt.predictor.DEFAULTS`) and ``max_train`` (default
    :data:`MAX_TRAIN` codes) left at None accept a saved fit's own; given, they must
    match it, or ``refit`` must be set.
    """
    store = predictor_folder(run, target)
    record = None if refit else store.read_record()
    if record is not None:
        asked = {**DEFAULTS, **record["options"]} if options is None else _options(target, options)
        _check(store, record, asked, record.get("max_train") if max_train is None else max_train, run)
        stats = CodeStats(**store.load_arrays(CODES_FILE))
        return Fitted(_load(store, record, run), stats.to(run.device), record, False)
    options = _options(target, options)
    model, stats, record = _fit(run, target, options, MAX_TRAIN if max_train is None else max_train, progress)
    _save(store, model, stats, record)
    return Fitted(model, stats.to(run.device), record, True)
