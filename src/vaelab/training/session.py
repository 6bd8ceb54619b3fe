"""One training session into a run directory: checks, config.yaml, vocabulary, the Trainer, summary.json.

:func:`train_run` is what ``vaelab train`` and :func:`vaelab.train` do once the config
is resolved; the second stage of the ``two-stage`` sampler trains through it too, so
every trained model, first or second stage, is an ordinary run directory.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import shutil
import tempfile
import time
import warnings
from datetime import datetime
from pathlib import Path

import numpy as np
import torch

from vaelab.config import RunConfig, save_config
from vaelab.data import load_data
from vaelab.data.checks import check_trainable
from vaelab.data.side import side_tensors
from vaelab.device import describe_device, device_list, keep_freed_memory, resolve_device
from vaelab.errors import ConfigError, TrainingDiverged, io_failure
from vaelab.fileio import check_out_path, fsync_dir, read_jsonl, save_npz, truncate_jsonl, write_json
from vaelab.models import build_model, vocab_size_of
from vaelab.rundir.checkpoint import POINTER
from vaelab.rundir.layout import INPUTS, RunLayout
from vaelab.rundir.lock import run_lock
from vaelab.threads import apply_thread_policy
from vaelab.tracking.build import make_loggers
from vaelab.training import distributed as dist
from vaelab.training.trainer import Trainer, check_batch_size


def default_out(cfg: RunConfig) -> Path:
    """``runs/<model>-<data>-<timestamp>`` (``zinc:250k`` becomes ``zinc-250k``: no ':' in paths)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    data = re.sub(r"[^A-Za-z0-9._-]+", "-", cfg.data.name)
    return Path("runs") / f"{cfg.model.name}-{data}-{stamp}"


def claim_dir(out: Path) -> Path:
    """Create the default run directory ``out`` atomically; a name another run took first gets a suffix (-2, -3, ...).

    Two ``vaelab train`` started in the same second would otherwise share one folder.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        candidate = out if n == 1 else out.with_name(f"{out.name}-{n}")
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise ConfigError(f"could not create a run directory next to {out}: 999 of that name exist; pass --out")


#: data options that name a file or folder (the array, images and smiles datasets)
PATH_OPTIONS = ("path", "valid_path", "test_path")


def resolve_paths(cfg: RunConfig) -> RunConfig:
    """Record where the data came from as an absolute path, so later stages find it from anywhere."""
    data_dir = cfg.data.data_dir or os.environ.get("VAELAB_DATA")
    if data_dir:
        cfg.data.data_dir = str(Path(data_dir).expanduser().resolve())
    options = cfg.data.options
    for key in PATH_OPTIONS:  # a file found from here is recorded absolute: `evaluate` may run from elsewhere
        value = options.get(key) if isinstance(options, dict) else None
        if isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
            here = Path(value).expanduser()
            if here.exists():
                options[key] = str(here.resolve())
    return cfg


def check_run_dir(out: Path, resume: bool) -> None:
    """A new run needs an empty (or new) folder; a resumed one needs a run directory."""
    check_out_path(out, "--resume" if resume else "--out")
    if resume:
        if not RunLayout(out).is_run():
            raise ConfigError(f"cannot resume: '{out}' is not a run directory (no config.yaml)")
        return
    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"run directory '{out}' already exists and is not empty; "
                          "pass --resume to continue it, or choose another --out")


def _versions() -> dict:
    from vaelab.version import __version__

    return {"vaelab": __version__, "torch": torch.__version__, "numpy": np.__version__,
            "python": platform.python_version()}


def _summary(cfg, trainer, device, status: str, wall: float, error: str | None = None) -> dict:
    records = read_jsonl(RunLayout(trainer.run_dir).metrics)
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


def _save_vocabulary(bundle, layout: RunLayout) -> None:
    """Token data: the vocabulary as ``RUN_DIR/vocabulary.json``, so ids decode without the dataset."""
    if bundle.kind == "tokens":
        from vaelab.chem.vocab import Vocabulary

        Vocabulary.from_dict(bundle.info["vocabulary"]).save(layout.vocabulary)


def start_trainer(trainer: Trainer, cfg: RunConfig, layout: RunLayout, resume: bool) -> None:
    """Before the first epoch: restore a resumed run (its metrics cut to its checkpoint), write config.yaml, on_start."""
    if resume and not (layout.checkpoints / POINTER).is_file():  # killed before its first epoch ended
        warnings.warn(f"{layout.root} has no finished epoch yet; training it from the start", stacklevel=3)
        resume = False
    dist.barrier()  # every rank has seen the same checkpoints before any is written
    if resume:
        trainer.restore("last")
        truncate_jsonl(layout.metrics, lambda r: r.get("epoch", 0) <= trainer.state.epoch)
    elif layout.metrics.exists():  # the restart of a run that never finished an epoch: its records go
        truncate_jsonl(layout.metrics, lambda r: False)
    save_config(cfg, layout.config)
    trainer.callbacks.on_start(cfg, layout.root, trainer.state.epoch)


def finish_run(cfg: RunConfig, trainer: Trainer, device, layout: RunLayout, status: str, wall: float,
               error: str | None = None, **extra) -> dict:
    """Write summary.json (``extra`` adds keys, e.g. an ensemble member's place) and tell the callbacks."""
    summary = {**_summary(cfg, trainer, device, status, wall, error), **extra}
    write_json(layout.summary, summary)
    trainer.callbacks.on_end(summary)
    return summary


def _train_locked(cfg: RunConfig, bundle, model, layout: RunLayout, device, resume: bool, callbacks,
                  ctx: dist.Context = dist.SINGLE) -> None:
    if not ctx.is_main:  # data-parallel ranks > 0: train in step with rank 0, write nothing
        return _train_follower(cfg, bundle, model, layout, device, resume, ctx)
    if not resume and layout.is_run():  # checked again under the lock: another process may have got here first
        raise ConfigError(f"run directory '{layout.root}' was filled by another process while this one started; "
                          "pass --resume to continue it, or choose another --out")
    _save_vocabulary(bundle, layout)
    trainer = Trainer(model, bundle, cfg, layout.root, device, callbacks, ctx)
    start_trainer(trainer, cfg, layout, resume)
    t0 = time.perf_counter()

    def finish(status: str, error: str | None = None) -> None:
        finish_run(cfg, trainer, device, layout, status, time.perf_counter() - t0, error)

    try:
        state = trainer.fit()
    except TrainingDiverged as err:
        finish("diverged", str(err))
        raise
    except KeyboardInterrupt:
        finish("interrupted")
        raise
    except OSError as err:  # a full disk, a file size limit: say so in the summary if it can still be written
        with contextlib.suppress(OSError):
            finish("failed", str(io_failure(err)))
        raise
    finish("early-stopped" if state.stopped_early else "completed")


def _train_follower(cfg: RunConfig, bundle, model, layout: RunLayout, device, resume: bool,
                    ctx: dist.Context) -> None:
    """A rank > 0: the same trainer from the same checkpoint as rank 0, silent, writing nothing."""
    cfg = cfg.model_copy(deep=True)
    cfg.train.progress = False
    trainer = Trainer(model, bundle, cfg, layout.root, device, (), ctx)
    resume = resume and (layout.checkpoints / POINTER).is_file()
    dist.barrier()
    if resume:
        trainer.restore("last")
    trainer.fit()


def _device(cfg: RunConfig, ctx: dist.Context):
    """The device of this process; data-parallel, the settings are checked and the process group joined."""
    if ctx.enabled:
        dist.check_supported(cfg)
        device = dist.rank_device(ctx, cfg.train.device)
        dist.init(ctx, device)
        return device
    names = device_list(cfg.train.device)
    if len(names) > 1:
        raise ConfigError(f"train.device lists {len(names)} devices, which means data-parallel training: run "
                          f"`vaelab train --nproc {len(names)} ...` or torchrun (docs/distributed.md)")
    return resolve_device(names[0])


def _for_arrays(cfg: RunConfig, arrays, resume: bool) -> RunConfig:
    """A config given arrays in memory trains on the ``array`` dataset; a resumed run keeps the arrays it has."""
    if arrays is not None:
        if resume:
            raise ConfigError("a resumed run reads the arrays it was given from RUN_DIR/inputs.npz; resume it "
                              "without data=")
        cfg.data.name = "array"
    return cfg


def _point_at(cfg: RunConfig, path: Path) -> None:
    """The run's data: the arrays in ``path`` (dataset ``array``), named by its absolute path."""
    cfg.data.options = {**cfg.data.options, "path": str(Path(path).resolve())}


def _stage(arrays, out: Path) -> Path | None:
    """The arrays saved in a temporary folder next to the run directory (when its parent exists), to load and check
    them before the run directory is made; None without arrays."""
    if arrays is None:
        return None
    folder = Path(tempfile.mkdtemp(prefix=".vaelab-inputs-", dir=out.parent if out.parent.is_dir() else None))
    return save_npz(folder / INPUTS, arrays)


def _place_inputs(staged: Path, arrays: dict, layout: RunLayout) -> Path:
    """The staged arrays moved into the run directory: a rename, or a new atomic write across file systems."""
    try:
        os.replace(staged, layout.inputs)
        fsync_dir(layout.root)
    except OSError:
        save_npz(layout.inputs, arrays)
    return layout.inputs


def _make_dir(out: Path, named: bool) -> Path:
    """The run directory, made once the config and the data have passed: ``out``, or a free default name."""
    if named:
        out.mkdir(parents=True, exist_ok=True)
        return out
    return claim_dir(out)


@torch.enable_grad()  # training works when called under no_grad (e.g. a sampler fitted inside evaluate)
def train_run(cfg: RunConfig, out=None, resume: bool = False, arrays: dict | None = None, callbacks=()) -> Path:
    """Train ``cfg`` into the run directory ``out`` (default :func:`default_out`) and return its path.

    With ``resume``, ``out`` is an existing run directory that continues from its last
    checkpoint. ``arrays`` (``x``, and ``y``/``score`` when given: :func:`vaelab.data.inputs.input_arrays`)
    are the data, saved as ``RUN_DIR/inputs.npz`` and named in config.yaml (dataset ``array``).
    A bad config or dataset fails before any folder is made; a divergence or an
    interrupt still writes ``summary.json`` (status ``diverged`` / ``interrupted``).
    ``callbacks`` receive the run's events (:mod:`vaelab.training.callbacks`), followed by the
    trackers of ``train.loggers`` (:mod:`vaelab.tracking`; a missing package fails here too).
    """
    ctx = dist.env_context()
    if ctx.enabled and arrays is not None:
        raise ConfigError("data-parallel training reads its data by name: save the arrays (e.g. .npz) and train "
                          "with data.name=array and data.options.path=FILE")
    try:
        return _train_run(cfg, out, resume, arrays, callbacks, ctx)
    finally:
        dist.teardown()


def _train_run(cfg: RunConfig, out, resume: bool, arrays, callbacks, ctx: dist.Context) -> Path:
    cfg = resolve_paths(_for_arrays(cfg, arrays, resume))
    callbacks = [*callbacks, *make_loggers(cfg)]  # a tracker's missing package: refused before any folder
    named = out is not None
    out = Path(out) if named else default_out(cfg)
    if named or resume:
        check_run_dir(out, resume)
    staged = _stage(arrays, out)
    try:
        if staged is not None:
            _point_at(cfg, staged)
        device = _device(cfg, ctx)
        apply_thread_policy()  # VAELAB_THREADS: auto (default: the cores others leave free), N, or torch
        keep_freed_memory()  # no page faults on every step's fresh tensors
        torch.manual_seed(cfg.train.seed)
        bundle = load_data(cfg.data, progress=cfg.train.progress)
        check_trainable(bundle, cfg.data)
        model = build_model(cfg.model, bundle.event_shape, bundle.kind, bundle.n_classes, vocab_size_of(bundle))
        side_tensors(model, bundle.train, "cpu")  # a model needing labels the data lacks: refused before the folder
        check_batch_size(model, cfg.train.batch_size, ctx.world_size)  # batch norm on batches of one: likewise
        dist.barrier()  # data-parallel: every rank has checked --out before rank 0 fills it
        if ctx.is_main:
            out = _make_dir(out, named or resume)  # only now: bad config or data leaves no folder behind
        out = dist.broadcast(out)  # rank 0's folder (a default name has rank 0's timestamp)
        if staged is not None:
            _point_at(cfg, _place_inputs(staged, arrays, RunLayout(out)))
    finally:
        if staged is not None:
            shutil.rmtree(staged.parent, ignore_errors=True)
    if not ctx.is_main:
        _train_locked(cfg, bundle, model, RunLayout(out), device, resume, (), ctx)
        return out
    with run_lock(out):  # one writer per run: a second training into it gets one line, not a mix of two runs
        _train_locked(cfg, bundle, model, RunLayout(out), device, resume, callbacks, ctx)
    return out
