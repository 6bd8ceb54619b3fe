"""The Python API that the CLI wraps: ``train``, ``load_run``, ``evaluate``, ``plot``, ``sample``."""

from __future__ import annotations

import os
import platform
import re
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import torch

from vaelab.config import RunConfig, load_config, make_config, save_config
from vaelab.config.shortcuts import shortcut_overrides
from vaelab.data import load_data
from vaelab.device import describe_device, resolve_device
from vaelab.errors import ConfigError, TrainingDiverged
from vaelab.models import build_model, vocab_size_of
from vaelab.runs import Run, load_run
from vaelab.runs.io import read_jsonl, truncate_jsonl, write_json


def _default_out(cfg: RunConfig) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    data = re.sub(r"[^A-Za-z0-9._-]+", "-", cfg.data.name)  # zinc:250k -> zinc-250k: no ':' in paths
    return Path("runs") / f"{cfg.model.name}-{data}-{stamp}"


def _resolve_config(config, overrides, shortcuts) -> RunConfig:
    overrides = list(overrides) + shortcut_overrides(shortcuts)
    if config is None or isinstance(config, (dict, RunConfig)):
        return make_config(config, overrides)
    return load_config(config, overrides)


def _resolve_paths(cfg: RunConfig) -> RunConfig:
    """Record where the data came from as an absolute path, so later stages find it from anywhere."""
    data_dir = cfg.data.data_dir or os.environ.get("VAELAB_DATA")
    if data_dir:
        cfg.data.data_dir = str(Path(data_dir).expanduser().resolve())
    return cfg


def _check_run_dir(out: Path, resume: bool) -> None:
    if resume:
        if not (out / "config.yaml").is_file():
            raise ConfigError(f"cannot resume: '{out}' is not a run directory (no config.yaml)")
        return
    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"run directory '{out}' already exists and is not empty; "
                          "pass --resume to continue it, or choose another --out")


def _versions() -> dict:
    from vaelab import __version__

    return {"vaelab": __version__, "torch": torch.__version__, "numpy": np.__version__,
            "python": platform.python_version()}


def _summary(cfg, trainer, device, status: str, wall: float, error: str | None = None) -> dict:
    records = read_jsonl(trainer.run_dir / "metrics.jsonl")
    last = records[-1] if records else {}
    st = trainer.state
    return {
        "status": status, "error": error,
        "epochs_completed": st.epoch, "epochs_planned": cfg.train.epochs,
        "final": {k: v for k, v in last.items() if k.startswith(("train_", "valid_"))},
        "best": {"checkpoint": st.best_name, "valid_loss": st.best_value,
                 "valid_neg_elbo": next((r["valid_neg_elbo"] for r in records
                                         if f"epoch_{r['epoch']:04d}" == st.best_name), None)},
        "wall_time_s": wall, "train_time_s": st.elapsed_s,
        "seed": cfg.train.seed, "device": str(device),
        "device_name": describe_device(device),
        "n_parameters": sum(p.numel() for p in trainer.model.parameters()),
        "data": trainer.meta, "versions": _versions(),
    }


def _save_vocabulary(bundle, out: Path) -> None:
    """Token data: the vocabulary as ``RUN_DIR/vocabulary.json``, so ids decode without the dataset."""
    if bundle.kind == "tokens":
        from vaelab.chem.vocab import Vocabulary

        Vocabulary.from_dict(bundle.info["vocabulary"]).save(out / "vocabulary.json")


def train(config=None, *, out=None, resume: bool = False, overrides=(), **shortcuts) -> Run:
    """Train a model and return its :class:`~vaelab.runs.Run`.

    ``config`` is a YAML path, a dict, a RunConfig or None (defaults). Keyword
    shortcuts (``model``, ``data``, ``epochs``, ``latent_dim``, ``seed``, ...) and
    ``overrides=["section.key=value"]`` are applied on top. With ``resume=True``,
    ``out`` names an existing run directory, which continues from its last
    checkpoint; shortcuts (e.g. ``epochs``) may extend it.

    >>> run = vaelab.train(model="vae", data="mnist5k", epochs=5)   # doctest: +SKIP
    """
    from vaelab.train import Trainer

    if resume:
        if out is None:
            raise ConfigError("resume needs the run directory: --resume RUN_DIR")
        _check_run_dir(Path(out), resume=True)
        cfg = _resolve_config(Path(out) / "config.yaml", overrides, shortcuts)
    else:
        cfg = _resolve_config(config, overrides, shortcuts)
    cfg = _resolve_paths(cfg)
    out = Path(out) if out is not None else _default_out(cfg)
    _check_run_dir(out, resume)
    device = resolve_device(cfg.train.device)
    torch.manual_seed(cfg.train.seed)
    bundle = load_data(cfg.data)
    model = build_model(cfg.model, bundle.event_shape, bundle.kind, bundle.n_classes, vocab_size_of(bundle))
    out.mkdir(parents=True, exist_ok=True)  # only now: bad config or data leaves no folder behind
    _save_vocabulary(bundle, out)
    trainer = Trainer(model, bundle, cfg, out, device)
    if resume:
        trainer.restore("last")
        truncate_jsonl(out / "metrics.jsonl", lambda r: r.get("epoch", 0) <= trainer.state.epoch)
    save_config(cfg, out / "config.yaml")
    t0 = time.perf_counter()
    try:
        state = trainer.fit()
    except TrainingDiverged as err:
        write_json(out / "summary.json", _summary(cfg, trainer, device, "diverged", time.perf_counter() - t0, str(err)))
        raise
    except KeyboardInterrupt:
        write_json(out / "summary.json", _summary(cfg, trainer, device, "interrupted", time.perf_counter() - t0))
        raise
    status = "early-stopped" if state.stopped_early else "completed"
    write_json(out / "summary.json", _summary(cfg, trainer, device, status, time.perf_counter() - t0))
    return load_run(out, device=str(device))


def evaluate(run_dir, split: str = "test", iw_samples: int | None = None, checkpoint: str = "best",
             **kwargs) -> dict:
    """Load a run and write its ``diagnostics.json``; returns the figures (see docs/run-arrays.md).

    ``iw_samples`` is K of the IW NLL: None for 5000 (Burda et al.), or 100 on token data; 0 skips it."""
    return load_run(run_dir, checkpoint=checkpoint).evaluate(split=split, iw_samples=iw_samples, **kwargs)


def plot(run_dir, kinds=None, *, recompute: bool = False, checkpoint: str = "best", view_options=None,
         **options):
    """Draw a run's figures into ``RUN_DIR/plots/``; returns ``DrawResult(written, skipped)``.

    The arrays each figure needs (``RUN_DIR/arrays/*.npz``, docs/run-arrays.md) are
    decoded from the ``checkpoint`` model when missing, or all again with
    ``recompute``; ``view_options`` passes settings to those builders, e.g.
    ``{"traversals": {"base": "data"}, "lattice": {"dims": (0, 3)}}``. ``options``
    go to the drawing functions (``projection="tsne"``, ``dims=(0, 1)``, ...); see
    ``vaelab.plots.figure_options``.
    """
    from vaelab.plots import FIGURES, draw
    from vaelab.plots.registry import resolve_kinds
    from vaelab.views import ensure_arrays

    run_dir = Path(run_dir)
    try:
        names = resolve_kinds(kinds)
    except ValueError as err:
        raise ConfigError(str(err)) from None
    split = options.get("split", "test")
    needed = [Path(rel.format(split=split)).stem for k in names for rel in FIGURES[k].inputs
              if rel.startswith("arrays/")]
    view_options = dict(view_options or {})
    missing = [n for n in dict.fromkeys(needed) if recompute or n in view_options
               or not (run_dir / "arrays" / f"{n}.npz").is_file()]
    try:
        if missing:
            ensure_arrays(load_run(run_dir, checkpoint=checkpoint), missing, recompute=recompute,
                          options=view_options)
        return draw(run_dir, names, **options)
    except ValueError as err:  # a bad figure option: the message names the valid choices
        raise ConfigError(str(err)) from None


def write_report(run_dirs, out) -> Path:
    """One self-contained HTML page comparing ``run_dirs`` (config differences, diagnostics, figures)."""
    from vaelab.report import build_report

    return build_report([Path(p) for p in run_dirs], Path(out))


def sample(run_dir, n: int = 64, sampler: str | None = None, *, seed: int = 0, options: dict | None = None,
           refit: bool = False, out=None, checkpoint: str = "best", progress: bool = True):
    """Draw ``n`` samples from a run with a named sampler; write ``<sampler>-<n>-seed<S>.npz`` and ``.png``.

    ``sampler`` is a key of :data:`vaelab.sampling.SAMPLERS`: ``prior``, or an ex-post
    density fitted to the training codes (``gaussian``, ``gmm``, ``two-stage``; Ghosh
    et al. 2020, Dai & Wipf 2019); None means the model's own (``n_sampler``: the prior
    for VAEs). A fitted sampler is saved in ``RUN_DIR/samplers/<name>/`` and reused;
    ``options`` (e.g. ``{"components": 5}``) that differ from the saved fit need
    ``refit=True``. Files go to ``out`` (default ``RUN_DIR/samples``). Returns a
    :class:`vaelab.sampling.SampleResult` (``z``, ``x``, ``npz``, ``png``, ``sampler``).
    """
    from vaelab.sampling import sampler_class, write_samples

    if sampler is not None:
        sampler_class(sampler)  # an unknown name fails before the run is loaded
    run = run_dir if isinstance(run_dir, Run) else load_run(run_dir, checkpoint=checkpoint)
    name = sampler or getattr(run.model, "n_sampler", "prior")
    return write_samples(run, name, n, seed=seed, options=options, refit=refit, out=out, progress=progress)


def lso(run_dir, property: str | None = None, *, task: str = "property", starts: int | None = None,
        steps: int | None = None, lr: float | None = None, penalty: float = 0.5, penalty_on: str = "codes",
        start: str = "worst", direction: str | None = None, max_norm="auto", box: bool = True, targets: int = 50,
        loss: str = "se", init: str = "sampler", tol: float = 0.01, seed: int = 0, refit: bool = False,
        checkpoint: str = "best", progress: bool = True):
    """Latent space optimisation on a run; results go to ``RUN_DIR/lso/`` (see docs/lso.md).

    ``task="property"``: optimise the property ``property`` (``vaelab.lso.available(run)``
    lists them: RDKit ``logp``/``qed``/``sa``/``mw`` and the dataset's columns for
    molecules, ``score`` or ``label:K`` otherwise). A predictor fitted on the training
    codes (reused unless ``refit``) is ascended from ``starts`` codes (default 10;
    ``start``: worst/random test examples or prior draws) for ``steps`` Adam steps
    (default 500, ``lr`` 0.05) against a penalty ``penalty`` * ½||.||² (default 0.5):
    with ``penalty_on="codes"`` (default) the log-density of a Gaussian fitted to the
    training codes, the ascent running in its whitened coordinates; with ``"prior"``
    ½||z||², each coordinate kept within the training codes' range (``box``). ``max_norm``
    (``auto``: the training codes' largest distance; None: none) bounds the distance.
    Molecules are decoded and checked with RDKit. Returns :class:`vaelab.lso.PropertyResult`.

    ``task="match"``: the NE-VAE paper's toy task on images: ``targets`` test images,
    ``starts`` random starts each (default 10), ``steps`` Adam steps (default 1000, ``lr``
    0.05) on the squared error (``loss="nll"``: -log p(x|z)). Returns
    :class:`vaelab.lso.MatchResult` with the iterations to converge and the spread.

    >>> vaelab.lso("runs/qm9-vae", "qed").summary["molecules"]["best"]     # doctest: +SKIP
    """
    from vaelab.lso import match_targets, optimize_property
    from vaelab.lso.targets import available, describe_available

    if task not in ("property", "match"):
        raise ConfigError(f"unknown lso task '{task}'; choose property or match")
    if task == "match" and property is not None:
        raise ConfigError("--property belongs to the property task; drop it for --task match")
    run = run_dir if isinstance(run_dir, Run) else load_run(run_dir, checkpoint=checkpoint)
    pick = lambda value, default: default if value is None else value  # noqa: E731 (0 is a value, not "unset")
    if task == "match":
        return match_targets(run, targets=targets, starts=pick(starts, 10), steps=pick(steps, 1000),
                             lr=pick(lr, 0.05), loss=loss, init=init, tol=tol, seed=seed, progress=progress)
    if property is None:
        names = describe_available(available(run)) or "none (use --task match for images)"
        raise ConfigError(f"lso needs a property: --property NAME (this run has: {names}), or --task match")
    return optimize_property(run, property, starts=pick(starts, 10), start=start, steps=pick(steps, 500),
                             lr=pick(lr, 0.05), penalty=penalty, penalty_on=penalty_on, max_norm=max_norm, box=box,
                             direction=direction, seed=seed, refit=refit, progress=progress)
