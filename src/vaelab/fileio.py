"""Crash-safe file IO: every write goes to a temporary file in the same folder, is fsynced, then renamed.

The lowest floor of vaelab (it imports nothing from it but :mod:`vaelab.errors`): the
run directory (:mod:`vaelab.rundir`), config files, vocabularies, caches and figure
arrays all write through these functions, so a kill at any moment leaves either the old
file or the new one, never half of one.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (a rename into it) to disk; a no-op where the OS does not allow it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def check_output_folder(path, flag: str = "--out") -> None:
    """Refuse, before any work, an output folder that cannot be one: a file, a broken link, a path under a file.

    The message names ``flag`` and the fix (exit code 2); what only writing can tell (a
    full disk, no permission) is left to the write itself (:func:`vaelab.errors.io_failure`).
    """
    from vaelab.errors import VaelabError

    path = Path(path)
    if path.is_symlink() and not path.exists():
        raise VaelabError(f"{flag} '{path}' is a broken symbolic link (to '{os.readlink(path)}'); remove it or "
                          "choose another folder")
    if path.exists() and not path.is_dir():
        raise VaelabError(f"{flag} '{path}' is a file, not a folder; choose another folder")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise VaelabError(f"{flag} '{path}': '{parent}' is a file, so no folder can be made under it; "
                                  "choose another folder")
            return


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()  # what open() would give; mkstemp's files are 0600


def named(err: OSError, path) -> OSError:
    """``err`` carrying ``path`` as its file name (a failed ``write`` names no file), for one clear message."""
    if getattr(err, "filename", None):
        return err
    return OSError(err.errno, err.strerror or str(err), str(path))


def write_file(path, data: bytes) -> None:
    """Write ``data`` to ``path`` and fsync it; an OSError names ``path`` (not atomic: see :func:`atomic_write_bytes`)."""
    try:
        with open(path, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as err:
        raise named(err, path) from err


def atomic_write_bytes(path, data: bytes) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over ``path``.

    A failure (a full disk, a file size limit) removes the temporary file, leaves the
    previous ``path`` as it was, and raises an OSError that names ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise named(err, path) from err
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write_text(path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def _clean(obj):
    """JSON has no NaN/Inf: write them as null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def write_json(path, obj) -> None:
    atomic_write_text(path, json.dumps(_clean(obj), indent=2, sort_keys=False) + "\n")


def read_json(path) -> dict:
    return json.loads(Path(path).read_text())


def append_jsonl(path, record: dict) -> None:
    """Append one record as one line and fsync, so a kill loses at most the line being written.

    A line torn by an earlier kill (no final newline) is closed first, so the new record
    never merges with it. The record goes to the file in one ``write`` on a file opened
    for appending, so concurrent writers never interleave inside a record.
    """
    data = (json.dumps(_clean(record)) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, _FILE_MODE)
    try:
        size = os.fstat(fd).st_size
        if size and not _ends_with_newline(path, size):
            data = b"\n" + data
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _ends_with_newline(path, size: int) -> bool:
    with open(path, "rb") as fh:
        fh.seek(size - 1)
        return fh.read(1) == b"\n"


def read_jsonl(path) -> list[dict]:
    """The records of a JSONL file; lines that are not a JSON object (one torn by a kill) are skipped, none other."""
    path = Path(path)
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a torn line: the records around it are intact
        if isinstance(record, dict):
            records.append(record)
    return records


def truncate_jsonl(path, keep) -> None:
    """Rewrite ``path`` with only the records for which ``keep(record)`` is true."""
    records = [r for r in read_jsonl(path) if keep(r)]
    atomic_write_text(path, "".join(json.dumps(r) + "\n" for r in records))


def save_npz(path, arrays: dict) -> Path:
    """A dict of arrays as one .npz, atomically (a kill leaves the old file or none)."""
    import io

    import numpy as np

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    atomic_write_bytes(path, buf.getvalue())
    return Path(path)


def load_npz(path) -> dict:
    """The arrays of an .npz (pickled object arrays refused)."""
    import numpy as np

    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def save_safetensors(path, tensors: dict) -> None:
    """Tensors or numpy arrays as one safetensors file (no pickle), atomically."""
    import numpy as np

    if all(isinstance(v, np.ndarray) for v in tensors.values()):
        from safetensors.numpy import save

        atomic_write_bytes(path, save({k: np.ascontiguousarray(v) for k, v in tensors.items()}))
        return
    from safetensors.torch import save

    atomic_write_bytes(path, save({k: v.detach().cpu().contiguous() for k, v in tensors.items()}))


def load_safetensors(path, framework: str = "pt") -> dict:
    """A safetensors file as torch tensors (``framework="pt"``) or numpy arrays (``"np"``); never runs code."""
    if framework == "np":
        from safetensors.numpy import load_file
    else:
        from safetensors.torch import load_file
    return load_file(path)
