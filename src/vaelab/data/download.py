"""Download dataset files safely: temp file, checksum, atomic rename; clear errors when offline.

Files are looked for in the user's data dir (``--data-dir`` / ``$VAELAB_DATA``) first, then in
the cache (``$VAELAB_CACHE``, default ``~/.cache/vaelab``). Only missing files are downloaded,
always into the cache. ``$VAELAB_MIRROR`` replaces every dataset's source with
``<mirror>/<subdir>/<filename>`` (for local mirrors, air-gapped sites and the tests).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Optional, Sequence

from vaelab.data.registry import LoadContext
from vaelab.errors import DataError
from vaelab.progress import counter

_CHUNK = 1 << 16
_ALGORITHMS = ("md5", "sha1", "sha256")


def mirror_url(url: str, subdir: str, filename: str) -> str:
    """``url``, unless ``$VAELAB_MIRROR`` is set: then ``<mirror>/<subdir>/<filename>``."""
    mirror = os.environ.get("VAELAB_MIRROR")
    return f"{mirror.rstrip('/')}/{subdir}/{filename}" if mirror else url


def file_digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _parse_checksum(checksum: str) -> tuple[str, str]:
    algorithm, _, hexdigest = checksum.partition(":")
    if algorithm not in _ALGORITHMS or not hexdigest:
        raise ValueError(f"checksum {checksum!r} must look like 'md5:<hex>' or 'sha256:<hex>'")
    return algorithm, hexdigest.lower()


def _stream(url: str, out, timeout: float, name: str) -> None:
    """Copy ``url`` into the open file ``out``; network failures propagate as urllib/OSError."""
    request = urllib.request.Request(url, headers={"User-Agent": "vaelab"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        received = 0
        with counter(f"downloading {name}", total, kind="bytes") as advance:
            for block in iter(lambda: response.read(_CHUNK), b""):
                out.write(block)
                received += len(block)
                advance(len(block))
        # A connection dropped mid-body can end the stream early without an exception.
        if total is not None and received != total:
            raise http.client.IncompleteRead(b"", total - received)


def _download_failed(url: str, dest: Path, err: BaseException, hint: Optional[str]) -> DataError:
    # HTTPError's str() carries the status code; URLError wraps the socket error in .reason.
    reason = err if isinstance(err, urllib.error.HTTPError) else (getattr(err, "reason", None) or err)
    fix = hint or (f"download it yourself and put it at <DIR>/{dest.parent.name}/{dest.name}, "
                   "then pass --data-dir DIR (or set VAELAB_DATA=DIR)")
    return DataError(f"download of {url} failed ({type(err).__name__}: {reason}). To fix: {fix}")


def _verify(tmp: Path, url: str, dest: Path, checksum: Optional[str]) -> None:
    if checksum is None:
        return
    algorithm, expected = _parse_checksum(checksum)
    actual = file_digest(tmp, algorithm)
    if actual != expected:
        raise DataError(f"checksum mismatch for {dest.name} downloaded from {url}: expected "
                        f"{algorithm}:{expected}, got {algorithm}:{actual}. The download was discarded; "
                        "retry later, or set VAELAB_MIRROR to a trusted mirror")


def fetch(url: str, dest: Path, checksum: Optional[str], *, timeout: float = 30,
          hint: Optional[str] = None, validate: Optional[Callable[[Path], None]] = None) -> Path:
    """Download ``url`` to ``dest`` and return ``dest``; nothing half-written is ever left at ``dest``.

    The bytes go to a temporary file next to ``dest``; it is checked (``checksum`` as
    ``"md5:<hex>"``, ``"sha1:<hex>"`` or ``"sha256:<hex>"``; ``None`` = no published checksum,
    only the byte count and ``validate(tmp_path)`` are checked) and then renamed into place
    with ``os.replace``, which is atomic. On any failure the temporary file is deleted and a
    :class:`DataError` is raised; ``hint`` is the fix it suggests when the network fails.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                _stream(url, out, timeout, dest.name)
            except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as err:
                raise _download_failed(url, dest, err, hint) from None
        _verify(tmp, url, dest, checksum)
        if validate is not None:
            validate(tmp)
        os.replace(tmp, dest)
    except BaseException:
        # Including KeyboardInterrupt: a partial file must never survive.
        tmp.unlink(missing_ok=True)
        raise
    return dest


def locate(ctx: LoadContext, subdir: str, filename: str) -> Optional[Path]:
    """The first ``<dir>/<filename>`` that exists among ``ctx.search_dirs(subdir)``, else None."""
    for folder in ctx.search_dirs(subdir):
        if (folder / filename).is_file():
            return folder / filename
    return None


def place_files_hint(ctx: LoadContext, subdir: str, filenames: Sequence[str]) -> str:
    """How to supply a dataset by hand: which files, which folder, which flag."""
    where = f"{ctx.data_dir / subdir}/" if ctx.data_dir is not None else f"<DIR>/{subdir}/"
    flag = "" if ctx.data_dir is not None else " and pass --data-dir DIR (or set VAELAB_DATA=DIR)"
    return f"put {', '.join(filenames)} into {where}{flag}"


def find_or_fetch(ctx: LoadContext, subdir: str, filename: str, url: str, checksum: Optional[str], *,
                  expected: Sequence[str] = (), validate: Optional[Callable[[Path], None]] = None) -> Path:
    """Path of ``filename``: found in the data dir (trusted as is) or the cache, else downloaded.

    Downloads go to ``<cache>/<subdir>/<filename>`` and are verified once, before they land
    there. ``expected`` lists all the files of the dataset, for the error message.
    """
    found = locate(ctx, subdir, filename)
    if found is not None:
        return found
    hint = place_files_hint(ctx, subdir, list(expected) or [filename])
    if not ctx.download:
        looked = ", ".join(str(d) for d in ctx.search_dirs(subdir))
        raise DataError(f"{filename} not found (looked in {looked}) and downloading is off. "
                        f"To fix: {hint}, or allow downloads (data.download=true)")
    return fetch(mirror_url(url, subdir, filename), ctx.cache_dir / subdir / filename, checksum,
                 hint=hint, validate=validate)


def files_status(ctx: LoadContext, subdir: str, alternatives: Sequence[Sequence[str]],
                 approx_mb: Optional[float]) -> str:
    """``local: <dir>``, ``cached: <dir>`` or ``download (~N MB)`` for `vaelab datasets`.

    ``alternatives`` are file sets, any one of which makes the dataset complete.
    """
    for files in alternatives:
        paths = [locate(ctx, subdir, f) for f in files]
        if all(p is not None for p in paths):
            folders = {p.parent for p in paths}
            in_cache = any(ctx.cache_dir in p.parents for p in paths)
            label = "cached" if in_cache else "local"
            return f"{label}: {', '.join(str(f) for f in sorted(folders))}"
    if not ctx.download:
        return "missing (downloads off)"
    return f"download (~{approx_mb:.0f} MB)" if approx_mb else "download"
