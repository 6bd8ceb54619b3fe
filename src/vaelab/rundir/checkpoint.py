"""Atomic checkpoints: safetensors weights plus trainer state, one folder per epoch.

Layout::

    checkpoints/
      latest.json          {"last": "epoch_0004", "best": "epoch_0003"}
      epoch_0004/model.safetensors   weights; metadata carries the model's data contract
      epoch_0004/trainer.pt          optimizer state, epoch, early-stopping state
      epoch_0003/...

A checkpoint folder is written under a temporary name and renamed into place, then
``latest.json`` is replaced atomically, so a kill at any moment leaves the previous
checkpoint intact. Loading never executes code: safetensors for weights and
``torch.load(weights_only=True)`` for the trainer state.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save

from vaelab.errors import CheckpointError, DamagedFile
from vaelab.fileio import fsync_dir, read_json, write_file, write_json

POINTER = "latest.json"
#: the folder names the trainer writes; the pointer may name nothing else (no path outside the run)
CHECKPOINT_NAME = re.compile(r"epoch_\d{4,}")


def save_checkpoint(root, name: str, model: torch.nn.Module, trainer_state: dict, meta: dict,
                    best: str | None) -> Path:
    """Write ``root/name`` atomically, point ``latest.json`` at it, prune all but last and best.

    A failed write (a full disk, a file size limit, a signal) removes the half-written
    folder and leaves every earlier checkpoint and the pointer as they were.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".tmp-{name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
        weights = {k: v.detach().to("cpu").contiguous().clone() for k, v in model.state_dict().items()}
        write_file(tmp / "model.safetensors", save(weights, metadata={"vaelab": json.dumps(meta)}))
        buffer = io.BytesIO()
        torch.save(trainer_state, buffer)
        write_file(tmp / "trainer.pt", buffer.getvalue())
    except OSError as err:  # named as the file it was to become, not the temporary folder
        shutil.rmtree(tmp, ignore_errors=True)
        raise OSError(err.errno, err.strerror, str(root / name / Path(err.filename or "").name)) from err
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _move_in(tmp, root / name)
    fsync_dir(root)
    write_json(root / POINTER, {"last": name, "best": best or name})
    _prune(root, keep={name, best or name})
    return root / name


def _move_in(tmp: Path, final: Path) -> None:
    """Rename ``tmp`` to ``final``; an existing ``final`` is moved aside first and removed only once replaced.

    A kill between the two renames leaves the old folder as ``.old-NAME-PID``, which
    :func:`checkpoint_dir` still finds.
    """
    if not final.exists():
        os.replace(tmp, final)
        return
    old = final.with_name(f".old-{final.name}-{os.getpid()}")
    os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def _prune(root: Path, keep: set[str]) -> None:
    """Remove every checkpoint but ``keep``, and what killed writes left behind (``.tmp-*``, ``.old-*``, ``.latest.json.*.tmp``)."""
    for d in root.iterdir():
        if d.is_dir() and d.name not in keep:
            shutil.rmtree(d, ignore_errors=True)
        elif d.is_file() and d.name.startswith(f".{POINTER}.") and d.name.endswith(".tmp"):
            d.unlink(missing_ok=True)


def checkpoint_dir(root, which: str = "last") -> Path:
    """The folder of the ``last`` or ``best`` checkpoint under ``root``."""
    root = Path(root)
    pointer = root / POINTER
    if not pointer.is_file():
        raise CheckpointError(f"no checkpoint in '{root}': the run has not finished an epoch yet "
                              "(train it, or pass a run directory that has checkpoints/)")
    try:
        name = read_json(pointer)[which]
        if not isinstance(name, str) or not CHECKPOINT_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a checkpoint folder of this run")
    except (ValueError, KeyError, TypeError, DamagedFile) as err:
        raise CheckpointError(f"'{pointer}' is corrupt ({str(err)[:120]}); delete the run directory and train "
                              "again") from None
    path = root / name
    if path.is_dir():
        return path
    aside = sorted(root.glob(f".old-{name}-*"))  # a re-save killed between its two renames
    if aside:
        return aside[0]
    raise CheckpointError(f"checkpoint '{path}' named in {pointer} is missing; train the run again")


def read_checkpoint(root, which: str = "last", tries: int = 3) -> tuple[Path, dict[str, torch.Tensor], dict]:
    """(folder, state_dict, meta) of the ``last`` or ``best`` checkpoint, for a reader while training may run.

    A training run prunes old checkpoints: a reader that opened one just before it was
    removed follows the pointer to its successor instead of calling it corrupt.
    """
    for attempt in range(tries):
        folder = checkpoint_dir(root, which)
        try:
            return (folder, *load_weights(folder))
        except CheckpointError:
            if folder.is_dir() or attempt == tries - 1:  # still there: really damaged
                raise
    raise AssertionError("unreachable")


def load_weights(path) -> tuple[dict[str, torch.Tensor], dict]:
    """(state_dict, meta) from a checkpoint folder, without executing code."""
    file = Path(path) / "model.safetensors"
    try:
        weights = load_file(file)
        from safetensors import safe_open

        with safe_open(file, framework="pt") as fh:
            meta = json.loads((fh.metadata() or {}).get("vaelab", "{}"))
    except Exception as err:  # safetensors raises its own error types for damaged files
        raise CheckpointError(f"checkpoint weights '{file}' are unreadable or corrupt ({err}); "
                              "delete this checkpoint folder and resume from an earlier one, or retrain") from None
    broken = next((k for k, v in weights.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())), None)
    if broken is not None:
        raise CheckpointError(f"checkpoint weights '{file}' hold NaN or Inf in '{broken}'; resume from an earlier "
                              "checkpoint (checkpoint='last' or 'best'), or retrain")
    return weights, meta


def load_trainer_state(path) -> dict:
    file = Path(path) / "trainer.pt"
    try:
        return torch.load(file, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for a damaged pickle/zip
        raise CheckpointError(f"trainer state '{file}' is unreadable or corrupt ({type(err).__name__}); "
                              "delete this checkpoint folder and resume from an earlier one, or retrain") from None
