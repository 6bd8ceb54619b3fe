"""One writer per run directory: ``RUN_DIR/.lock``, held with ``flock`` and naming its holder.

Two processes training into one run directory (two resumes, or two runs given the same
``--out``) would interleave epochs and checkpoints. The writer holds an exclusive
``flock`` on ``RUN_DIR/.lock`` and writes its pid and host into it; a second writer
fails to take the lock and gets one line naming the holder. The kernel drops the lock
when its holder dies, however it dies (SIGKILL included), so a lock file left by a
process that has ended is taken over, with a warning naming it; no pid is guessed at.

On Windows (no ``fcntl``) the same lock is ``msvcrt.locking`` on one byte past the holder's
name, which Windows likewise drops when its holder dies.

Why ``flock`` and not a file created with ``O_EXCL``: with ``O_EXCL`` the lock is the
file's existence, so a second process could see the file before its holder had written
its pid (and named "another process"), and two processes taking over one stale file
could both delete it and both go on.
"""

from __future__ import annotations

import json
import os
import socket
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from vaelab.errors import CheckpointError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt

LOCK = ".lock"
_HOLDER_WAIT_S = 1.0  # a holder writes its name right after it takes the lock
_WINDOWS_LOCK_BYTE = 1 << 16  # locked instead of the file on Windows, so the name before it stays readable


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _parse(text: str) -> dict:
    try:
        holder = json.loads(text)
    except ValueError:
        return {}
    return holder if isinstance(holder, dict) else {}


def _holder(path: Path) -> dict:
    """The holder named in the lock file, waiting briefly for one that has just taken it."""
    deadline = time.monotonic() + _HOLDER_WAIT_S
    while True:
        try:
            holder = _parse(path.read_text())
        except OSError:
            holder = {}
        if holder or time.monotonic() > deadline:
            return holder
        time.sleep(0.01)


def _try_lock(fd: int) -> bool:
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
    os.lseek(fd, _WINDOWS_LOCK_BYTE, os.SEEK_SET)
    try:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


def _flock(path: Path) -> int | None:
    """An open descriptor of ``path`` holding its exclusive lock, or None when another process holds it."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(fd):
            os.close(fd)
            return None
        try:
            current = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            current = False
        if current:
            return fd
        os.close(fd)  # the previous holder removed this file as we locked it: lock the new one


def _claim(fd: int, path: Path) -> None:
    """Write our name into the lock we hold, warning about the process that left the file."""
    os.lseek(fd, 0, os.SEEK_SET)
    left = _parse(os.read(fd, 4096).decode("utf-8", "replace"))
    pid = left.get("pid")
    if isinstance(pid, int) and pid != os.getpid():
        ended = left.get("host") == socket.gethostname() and not _alive(pid)  # another host's pid cannot be asked
        why = "which has ended" if ended else "which no longer holds it"
        warnings.warn(f"{path} was left by process {pid}, {why}; taking it over", stacklevel=4)
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode())


@contextmanager
def run_lock(run_dir) -> Iterator[None]:
    """Hold ``RUN_DIR/.lock`` while the block runs; CheckpointError when another process holds it."""
    path = Path(run_dir) / LOCK
    fd = _flock(path)
    if fd is None:
        holder = _holder(path)
        who = f"process {holder.get('pid')} on {holder.get('host')}" if holder else "another process"
        raise CheckpointError(f"run directory '{run_dir}' is in use by {who}; wait for it to finish (or stop "
                              "it), then run again")
    try:
        _claim(fd, path)
        yield
    finally:
        _release(fd, path)


def _release(fd: int, path: Path) -> None:
    if fcntl is None:  # Windows cannot remove an open file: close, then remove (a newcomer may keep it)
        os.close(fd)
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass
        return
    try:
        path.unlink(missing_ok=True)  # while still locked, so nobody takes a file about to vanish
    finally:
        os.close(fd)
