"""Which configs can train as one ensemble, and the session that trains them (issue #17).

:func:`train_group` is :func:`~vaelab.training.session.train_run` for K configs that differ
only in :data:`VECTORISABLE` keys: each member gets its ordinary run directory (config.yaml,
metrics.jsonl, checkpoints, summary.json), so ``evaluate``, ``plot``, ``report`` and
``vaelab train --resume`` work on it unchanged.
"""

from __future__ import annotations

import json
import time
from contextlib import ExitStack
from pathlib import Path

import torch

from vaelab.config import RunConfig
from vaelab.data import load_data
from vaelab.data.checks import check_trainable
from vaelab.data.side import side_tensors
from vaelab.device import keep_freed_memory
from vaelab.errors import ConfigError
from vaelab.models import build_model, vocab_size_of
from vaelab.rundir.layout import RunLayout
from vaelab.rundir.lock import run_lock
from vaelab.threads import apply_thread_policy
from vaelab.tracking.build import make_loggers
from vaelab.training import distributed as dist
from vaelab.training.ensemble import EnsembleTrainer
from vaelab.training.session import (_device, _make_dir, _save_vocabulary, check_run_dir, finish_run, resolve_paths,
                                     start_trainer)
from vaelab.training.trainer import Trainer, check_batch_size

#: config keys whose values may differ inside one ensemble, and why each can: it is a number that
#: enters the step as a per-member value (seed: data order, init and noise; schedules: beta and lr
#: per epoch; clip: a per-member norm; patience and epochs: when a member leaves the stack; model
#: options: a 0-d value the objective multiplies or compares with). Every other key changes a shape,
#: the code path, the data or the device, so members differing in it cannot share one stacked model.
VECTORISABLE = ("train.seed", "train.epochs", "train.early_stopping", "kl_schedule.*", "optim.lr", "optim.lr_schedule",
                "optim.lr_step_epochs", "optim.lr_gamma", "optim.grad_clip", "model.options.gamma",
                "model.options.free_bits", "model.options.anchor_rate")
#: keys that never change what is trained (they may differ too)
IGNORED = ("train.progress", "train.log_every", "train.loggers", "train.compile")


#: why token (SMILES, SELFIES) models are not stacked
TOKENS_WHY = ("token models run GRUs, whose fused RNN kernels torch.func.vmap cannot batch over stacked weights, and "
              "trim each batch to its longest sequence (a shape per member); train the members one by one")


def _matches(key: str, patterns) -> bool:
    return any(key == p or (p.endswith(".*") and key.startswith(p[:-1])) for p in patterns)


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def group_key(cfg: RunConfig) -> str:
    """What members of one ensemble share: the config without its vectorisable (and ignored) keys."""
    flat = _flat(cfg.model_dump(mode="json"))
    return json.dumps({k: v for k, v in sorted(flat.items()) if not _matches(k, VECTORISABLE + IGNORED)},
                      sort_keys=True, default=str)


def not_vectorisable(cfg: RunConfig) -> str | None:
    """Why runs of ``cfg`` cannot be stacked, or None when they can."""
    m = cfg.model
    if cfg.train.step == "aggressive":
        return ("aggressive training (He et al. 2019) runs a data-dependent number of encoder-only steps per member "
                "(its inner loop stops when that member's loss stops improving), so members cannot share one step")
    if m.likelihood == "pixelcnn":
        return ("the PixelCNN decoder samples pixel by pixel and its gated masked convolutions have no tested "
                "vmap path; train its members one by one")
    if cfg.train.precision != "32":
        return "the ensemble trains in float32 (train.precision: 32)"
    if isinstance(cfg.train.device, list):
        return "a train.device list means data-parallel training, which does not combine with an ensemble"
    return None


def differing_keys(cfgs: list[RunConfig]) -> list[str]:
    flats = [_flat(c.model_dump(mode="json")) for c in cfgs]
    keys = set().union(*flats)
    return sorted(k for k in keys if any(f.get(k) != flats[0].get(k) for f in flats[1:]))


def check_group(cfgs: list[RunConfig]) -> None:
    """ConfigError naming the reason when ``cfgs`` cannot train as one ensemble."""
    if not cfgs:
        raise ConfigError("an ensemble needs at least one member")
    why = not_vectorisable(cfgs[0])
    if why:
        raise ConfigError(f"cannot train an ensemble of model '{cfgs[0].model.name}': {why}")
    bad = [k for k in differing_keys(cfgs) if not _matches(k, VECTORISABLE + IGNORED)]
    if bad:
        raise ConfigError(f"ensemble members differ in '{bad[0]}', which is not vectorisable (it changes a shape, "
                          f"the code path or the data); vectorisable keys: {', '.join(VECTORISABLE)}")
    for cfg in cfgs:
        for key, value in cfg.model.options.items() if isinstance(cfg.model.options, dict) else []:
            if _matches(f"model.options.{key}", VECTORISABLE) and not isinstance(value, (int, float)):
                raise ConfigError(f"ensemble: model.options.{key} must be a number, got {value!r}")


def _load_once(cfgs: list[RunConfig]):
    """The shared data, loaded once; each member's model built after seeding with its seed, as a single run does."""
    torch.manual_seed(cfgs[0].train.seed)
    before = torch.get_rng_state()
    bundle = load_data(cfgs[0].data, progress=cfgs[0].train.progress)
    check_trainable(bundle, cfgs[0].data)
    if bundle.kind == "tokens":
        raise ConfigError(f"cannot train an ensemble of model '{cfgs[0].model.name}': {TOKENS_WHY}")
    consumed = not torch.equal(before, torch.get_rng_state())
    models = []
    for cfg in cfgs:
        torch.manual_seed(cfg.train.seed)
        if consumed:  # the dataset drew from the global generator: replay that for this member's seed
            load_data(cfg.data, progress=False)
        model = build_model(cfg.model, bundle.event_shape, bundle.kind, bundle.n_classes, vocab_size_of(bundle))
        side_tensors(model, bundle.train, "cpu")  # a model needing labels the data lacks: refused here
        check_batch_size(model, cfg.train.batch_size)  # and batch norm on batches of one
        models.append(model)
    return bundle, models


@torch.enable_grad()
def train_group(cfgs: list[RunConfig], outs: list, resume: list[bool], names: list[str] | None = None,
                callbacks=()) -> dict[str, str | None]:
    """Train ``cfgs`` as one ensemble into the run directories ``outs``: member name -> its error line or None.

    ``resume[k]``: member k continues from its last checkpoint. A member that diverges is
    recorded (summary status ``diverged``) while the others go on. Members are named by
    ``names`` (default: their folder names) in progress lines.
    """
    cfgs = [resolve_paths(c.model_copy(deep=True)) for c in cfgs]
    outs = [Path(o) for o in outs]
    names = names or [o.name for o in outs]
    check_group(cfgs)
    if dist.env_context().enabled:
        raise ConfigError("an ensemble trains in one process; run it without torchrun / --nproc")
    for out, res in zip(outs, resume):
        check_run_dir(out, res)
    device = _device(cfgs[0], dist.SINGLE)
    apply_thread_policy()
    keep_freed_memory()  # no page faults on every step's fresh tensors
    bundle, models = _load_once(cfgs)
    with ExitStack() as locks:
        layouts = []
        for out, res in zip(outs, resume):
            _make_dir(out, True)
            locks.enter_context(run_lock(out))
            layouts.append(RunLayout(out))
        return _train_locked(cfgs, bundle, models, layouts, device, resume, names, callbacks)


def _train_locked(cfgs, bundle, models, layouts, device, resume, names, callbacks) -> dict[str, str | None]:
    shells = []
    for cfg, model, layout, res in zip(cfgs, models, layouts, resume):
        if not res and layout.is_run():
            raise ConfigError(f"run directory '{layout.root}' was filled by another process while this one started; "
                              "resume it, or choose another folder")
        _save_vocabulary(bundle, layout)
        shell = Trainer(model, bundle, cfg, layout.root, device, [*callbacks, *make_loggers(cfg)])
        start_trainer(shell, cfg, layout, res)
        shells.append(shell)
    t0 = time.perf_counter()
    place = {"ensemble": {"size": len(shells), "members": names}}

    def finish(k: int, status: str, error: str | None = None) -> None:
        finish_run(cfgs[k], shells[k], device, layouts[k], status, time.perf_counter() - t0, error, **place)

    ensemble = EnsembleTrainer(shells, names)
    try:
        errors = ensemble.fit()
    except KeyboardInterrupt:
        for k in range(len(shells)):
            if not ensemble.done(k):
                finish(k, "interrupted")
        raise
    for k, shell in enumerate(shells):
        if k in errors:
            finish(k, "diverged", errors[k])
        else:
            finish(k, "early-stopped" if shell.state.stopped_early else "completed")
    return {names[k]: errors.get(k) for k in range(len(shells))}
