"""Fitted samplers on disk: ``RUN_DIR/samplers/<name>/{sampler.json, params.safetensors}``.

``sampler.json`` records what the sampler was fitted to (options, checkpoint, number
and size of the codes, fit time); ``params.safetensors`` holds its arrays. Both are
written atomically, ``sampler.json`` last, so a folder without it is an interrupted
fit and is fitted afresh. A saved sampler is reused only when it was fitted with the
same options on the same checkpoint; anything else asks for an explicit refit.
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from vaelab.errors import CheckpointError, ConfigError
from vaelab.runs.io import atomic_write_bytes, read_fit_record, write_json
from vaelab.sampling.base import Sampler, resolve_options, sampler_class
from vaelab.sampling.codes import encode_codes

FOLDER = "samplers"
RECORD = "sampler.json"
PARAMS = "params.safetensors"


class SamplerMismatch(ConfigError):
    """A saved sampler was fitted with other options or on another checkpoint than the one asked for."""


def sampler_dir(run, name: str) -> Path:
    return Path(run.path) / FOLDER / name


def checkpoint_of(run) -> dict:
    """The checkpoint a sampler is fitted on: its folder name and, when the checkpoint says, epoch and step."""
    out = {"checkpoint": run.checkpoint}
    out.update({f"checkpoint_{k}": run.meta[k] for k in ("epoch", "step") if k in run.meta})
    return out


def _normal(obj):
    """JSON round trip, so tuples and lists (and int/float spellings) compare as stored."""
    return json.loads(json.dumps(obj))


def read_record(folder: Path) -> dict | None:
    """The folder's sampler.json, None when absent; a damaged one is an error that names the fix."""
    return read_fit_record(folder / RECORD, "pass --refit (API: refit=True) to fit the sampler again")


def check_match(record: dict, options: dict, run, folder: Path) -> None:
    """Raise SamplerMismatch unless ``record`` was fitted with ``options`` on the run's checkpoint."""
    name = record.get("sampler", folder.name)
    fix = "pass --refit (API: refit=True) to fit it again"
    if _normal(record["options"]) != _normal(options):
        saved, asked = record["options"], options
        diff = ", ".join(f"{k}={json.dumps(saved.get(k))} (asked {json.dumps(asked.get(k))})"
                         for k in sorted(set(saved) | set(asked)) if saved.get(k) != asked.get(k))
        raise SamplerMismatch(f"sampler '{name}' in {folder} was fitted with other options: {diff}; {fix}, "
                              "which replaces the saved one")
    now = checkpoint_of(run)
    then = {k: record.get(k) for k in now}
    if then != now:
        raise SamplerMismatch(f"sampler '{name}' in {folder} was fitted on checkpoint {_show(then)}, but the run is "
                              f"loaded at {_show(now)}; {fix} on this checkpoint")


def _show(c: dict) -> str:
    return f"{c['checkpoint']}" + (f" (epoch {c['checkpoint_epoch']})" if c.get("checkpoint_epoch") else "")


def _save_params(path: Path, arrays: dict[str, np.ndarray]) -> None:
    from safetensors.numpy import save

    atomic_write_bytes(path, save({k: np.ascontiguousarray(v) for k, v in arrays.items()}))


def _load_params(path: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    try:
        return load_file(path)
    except Exception as err:  # safetensors raises its own error types for damaged files
        raise CheckpointError(f"sampler arrays '{path}' are missing or unreadable ({err}); "
                              "pass --refit (API: refit=True) to fit the sampler again") from None


def _fit_and_save(cls: type[Sampler], run, options: dict, folder: Path, progress: bool) -> Sampler:
    from vaelab import __version__

    shutil.rmtree(folder, ignore_errors=True)  # an old fit (refit) or an interrupted one
    folder.mkdir(parents=True)
    t0 = time.perf_counter()
    codes = encode_codes(run, "train").numpy().astype(np.float64)  # (N, d)
    t1 = time.perf_counter()
    sampler = cls.fit(codes, options, folder, run.device, progress=progress)
    t2 = time.perf_counter()
    _save_params(folder / PARAMS, sampler.state())
    record = {"sampler": cls.name, "description": cls.description, "source": cls.source, "options": options,
              **checkpoint_of(run), "split": "train", "n_codes": int(codes.shape[0]), "code_dim": int(codes.shape[1]),
              "encode_time_s": round(t1 - t0, 4), "fit_time_s": round(t2 - t1, 4),
              "fitted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "vaelab_version": __version__,
              "summary": sampler.summary()}
    write_json(folder / RECORD, record)  # last: its presence marks a complete fit
    sampler.info, sampler.fitted_now = record, True
    return sampler


def fitted_sampler(run, name: str, options: dict | None = None, refit: bool = False,
                   progress: bool = True) -> Sampler:
    """The sampler ``name`` for ``run`` (a Run or a run directory), fitted once and then reused from disk.

    A saved sampler in ``RUN_DIR/samplers/<name>/`` is loaded when it was fitted on the
    run's checkpoint and with the same ``options``; ``options=None`` accepts the saved
    fit's options, whatever they were (so ``vaelab evaluate`` uses the fit ``vaelab
    sample --option ...`` made). If the checkpoint or explicit options differ,
    :class:`SamplerMismatch` asks for ``refit=True``. Without a saved one, the sampler
    is fitted to the training codes (with the defaults when ``options`` is None) and saved. ``prior`` needs
    no fit. ``progress`` lets a long fit (``two-stage``) say what it is doing.

    >>> fitted_sampler(run, "gmm").sample(64, seed=0).shape   # doctest: +SKIP
    torch.Size([64, 16])
    """
    if not hasattr(run, "model"):
        from vaelab.runs import load_run

        run = load_run(run)
    cls = sampler_class(name)
    asked = options
    options = resolve_options(cls, options)
    if not cls.needs_fit:
        sampler = cls.for_run(run, options)
        sampler.info, sampler.fitted_now = {"sampler": name, "options": options, **checkpoint_of(run)}, False
        return sampler
    folder = sampler_dir(run, name)
    record = None if refit else read_record(folder)
    if record is None:
        return _fit_and_save(cls, run, options, folder, progress)
    if asked is None:  # no options asked for: the saved fit's own
        options = resolve_options(cls, record["options"])
    check_match(record, options, run, folder)
    sampler = cls.from_state(_load_params(folder / PARAMS), options, folder, run.device)
    sampler.info, sampler.fitted_now = record, False
    return sampler


def sample_codes(run, sampler: str = "prior", n: int = 64, seed: int | None = 0, options: dict | None = None,
                 refit: bool = False, progress: bool = True):
    """n codes (n, d) from ``sampler``: ``fitted_sampler(run, sampler, options, refit, progress).sample(n, seed)``."""
    return fitted_sampler(run, sampler, options=options, refit=refit, progress=progress).sample(n, seed=seed)
