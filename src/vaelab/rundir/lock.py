"""One writer per run directory: an exclusive lock file holding the writer's pid and host.

Two processes training into one run directory (two resumes, or two runs given the same
``--out``) would interleave epochs and checkpoints. The first takes ``RUN_DIR/.lock``
(created with O_EXCL, so exactly one process can); the second gets one line naming the
holder. A lock left by a process that no longer exists on this host is stale: it is
taken over, with a warning.
"""

from __future__ import annotations

import json
import os
import socket
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from vaelab.errors import CheckpointError

LOCK = ".lock"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _holder(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _take(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as fh:
        json.dump({"pid": os.getpid(), "host": socket.gethostname()}, fh)
    return True


@contextmanager
def run_lock(run_dir) -> Iterator[None]:
    """Hold ``RUN_DIR/.lock`` while the block runs; CheckpointError when another live process holds it."""
    path = Path(run_dir) / LOCK
    if not _take(path):
        holder = _holder(path)
        same_host = holder.get("host") == socket.gethostname()
        if same_host and isinstance(holder.get("pid"), int) and not _alive(holder["pid"]):
            warnings.warn(f"{path} was left by process {holder['pid']}, which has ended; taking it over", stacklevel=3)
            path.unlink(missing_ok=True)
        if not _take(path):
            who = f"process {holder.get('pid')} on {holder.get('host')}" if holder else "another process"
            raise CheckpointError(f"run directory '{run_dir}' is in use by {who}; wait for it to finish (or, if "
                                  f"that process is gone, delete {path})")
    try:
        yield
    finally:
        if _holder(path).get("pid") == os.getpid():
            path.unlink(missing_ok=True)
