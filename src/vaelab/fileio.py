"""Crash-safe file IO: every write goes to a temporary file in the same folder, is fsynced, then renamed.

The lowest floor of vaelab (it imports nothing from it but :mod:`vaelab.errors`): the
run directory (:mod:`vaelab.rundir`), config files, vocabularies, caches and figure
arrays all write through these functions, so a kill at any moment leaves either the old
file or the new one, never half of one.
"""

from __future__ import annotations

import errno
import json
import math
import os
import shutil
import tempfile
import uuid
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

from vaelab.errors import VaelabError, damaged_file


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
            _write_synced(fh, data)
    except OSError as err:
        raise named(err, path) from err


def _write_synced(fh, data: bytes) -> None:
    """Write ``data`` to the open file ``fh`` and push it to the disk."""
    fh.write(data)
    fh.flush()
    os.fsync(fh.fileno())


def atomic_write_bytes(path, data: bytes) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over ``path``.

    A failure (a full disk, a file size limit) removes the temporary file, leaves the
    previous ``path`` as it was, and raises an OSError that names ``path`` (not the
    temporary file), so the message says which file could not be written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        _write_and_rename(path, data)
    except OSError as err:
        if err.filename is not None and Path(str(err.filename)).parent != path.parent:
            raise  # a folder on the way
        raise OSError(err.errno, err.strerror, str(path)) from None
    fsync_dir(path.parent)


def _write_and_rename(path: Path, data: bytes) -> None:
    # the temporary name is unique (mkstemp) and short enough for any name the folder allows
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:64]}.", suffix=".tmp")
    try:
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            _write_synced(fh, data)
        os.replace(tmp, path)
    except BaseException:  # the caller names the file
        Path(tmp).unlink(missing_ok=True)
        raise


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
    """The JSON in ``path``; :class:`~vaelab.errors.DamagedFile` naming the file when it is not JSON."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except ValueError as err:  # JSONDecodeError, UnicodeDecodeError
        raise damaged_file(path, err) from None


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
    """The records of a JSONL file ([] when there is none).

    A line that begins like a record (``{``) but does not parse is one torn by a kill:
    it is skipped and the records around it are kept. Lines of anything else are
    skipped with a warning naming the file; a file holding such lines and no record at
    all is not a record file: :class:`~vaelab.errors.DamagedFile` names it.
    """
    path = Path(path)
    if not path.is_file():
        return []
    records, foreign = [], []  # foreign: (line number, text) of lines that are not records
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        line = line.strip()
        record = _record(line)
        if isinstance(record, dict):
            records.append(record)
        elif line and not (record is None and line.startswith("{")):  # a torn record begins like one
            foreign.append((number, line))
    if foreign:
        _foreign_lines(path, foreign, damaged=not records)
    return records


def _record(line: str):
    """The JSON value of one line; None when it does not parse."""
    try:
        return json.loads(line) if line else None
    except json.JSONDecodeError:
        return None


def _foreign_lines(path: Path, foreign: list[tuple[int, str]], damaged: bool) -> None:
    """DamagedFile when the file holds no record at all, else a warning naming the lines that were skipped."""
    number, text = foreign[0]
    if damaged:
        raise damaged_file(path, f"line {number} is not a JSON record: {text[:40]!r}")
    warnings.warn(f"{path}: {len(foreign)} line(s) that are not records skipped (the first: line {number}, "
                  f"{text[:40]!r})", stacklevel=3)


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
    """The arrays of an .npz (pickled object arrays refused); :class:`~vaelab.errors.DamagedFile` names a damaged one."""
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    except (ValueError, EOFError, KeyError, zipfile.BadZipFile) as err:
        detail = err if zipfile.is_zipfile(path) else "not a NumPy .npz archive"
        raise damaged_file(path, detail) from None


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


def publish_folder(folder, fill: Callable[[Path], None], complete: Callable[[Path], bool]) -> bool:
    """Make ``folder`` whole at once: ``fill(tmp)`` writes a fresh folder of a unique name beside it, renamed into place.

    For caches that several processes may fill at the same time: each fills its own
    temporary folder, so none writes through another's files. When ``folder`` is there
    already and ``complete(folder)`` (another process published it first), that one is
    kept and ours dropped; an incomplete one (left by older versions, or damaged) is
    moved aside under a unique name and removed. True when ours was published.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".tmp"))
    try:
        fill(tmp)
        fsync_dir(tmp)
        for _ in range(5):
            if _rename_folder(tmp, folder):
                fsync_dir(folder.parent)
                return True
            if complete(folder):
                return False
            _discard_folder(folder)
        raise OSError(errno.ENOTEMPTY, "another process keeps replacing this folder", str(folder))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _rename_folder(tmp: Path, folder: Path) -> bool:
    """Rename ``tmp`` to ``folder``; False when a non-empty ``folder`` is in the way."""
    try:
        os.replace(tmp, folder)
    except OSError as err:
        if err.errno in (errno.ENOTEMPTY, errno.EEXIST):
            return False
        raise
    return True


def _discard_folder(folder: Path) -> None:
    """Move ``folder`` aside under a unique name (one rename: readers keep their open files), then remove it."""
    trash = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:12]}.stale")
    try:
        os.rename(folder, trash)
    except FileNotFoundError:  # another process moved it first
        return
    shutil.rmtree(trash, ignore_errors=True)


def out_folder(path, flag: str = "--out") -> Path:
    """The folder ``path``, made ready to receive files (created when missing); a one-line error when it cannot be.

    A file where the folder (or one above it) should be, or a symbolic link to nothing,
    is a :class:`~vaelab.errors.VaelabError` naming it; a folder that cannot be created
    or written (read-only, no permission, a name too long) an OSError naming it (exit 4
    on the command line). Checked before any work, so nothing is computed in vain.
    """
    path = Path(path).expanduser()
    check_out_path(path, flag, folder=True)
    path.mkdir(parents=True, exist_ok=True)
    if not os.access(path, os.W_OK | os.X_OK):
        raise OSError(errno.EROFS if _read_only_fs(path) else errno.EACCES, "cannot write here", str(path))
    return path


def out_file(path, flag: str = "--out") -> Path:
    """The file ``path`` to be written (its folder made ready by :func:`out_folder`), a symbolic link followed.

    A link to nothing, or a name longer than the folder allows, is refused before any work.
    """
    path = Path(path).expanduser()
    check_out_path(path, flag, folder=False)
    if path.is_symlink():
        path = path.resolve()  # write what the link points to (a rename would replace the link)
    out_folder(path.parent, flag)
    if len(os.fsencode(path.name)) > _name_max(path.parent):
        raise OSError(errno.ENAMETOOLONG, "file name too long", str(path))
    return path


def check_out_path(path, flag: str = "--out", folder: bool = True) -> None:
    """Refuse a dangling symbolic link on ``path``, and a file where a folder is needed (``path`` itself with
    ``folder``, else only the parts above it); creates nothing."""
    path = Path(path).expanduser()
    part = next((p for p in (path, *path.parents) if os.path.lexists(p)), None)
    if part is None:
        return
    if part.is_symlink() and not part.exists():
        raise VaelabError(f"{flag} {path}: '{part}' is a symbolic link to '{os.readlink(part)}', which does not "
                          "exist; create its target or choose another path")
    if not part.is_dir() and (folder or part != path):
        raise VaelabError(f"{flag} {path}: '{part}' is a file, not a folder; choose another path")


def _read_only_fs(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255
