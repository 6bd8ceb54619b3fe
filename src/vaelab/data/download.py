"""Download dataset files safely, and trust files on disk only once their checksum matched.

Files are looked for in the user's data dir (``--data-dir`` / ``$VAELAB_DATA``) first, then in
the cache (``$VAELAB_CACHE``, default ``~/.cache/vaelab``). Only missing files are downloaded,
always into the cache. ``$VAELAB_MIRROR`` replaces every dataset's source with
``<mirror>/<subdir>/<filename>`` (for local mirrors, air-gapped sites and the tests).

The rules (docs/reliability.md, "Downloads", names the test of each):

* **https only**: a download, and every redirect it follows, must use https; plain http
  is accepted only from a loopback host (127.0.0.1, ::1, localhost) or from the mirror the
  user named in ``$VAELAB_MIRROR``. Every built-in file has a checksum, so a mirror cannot
  change a file's bytes unnoticed either.
* **checksum**: the bytes go to a temporary file that is checked before it is renamed into
  place; nothing half-written or unverified is ever left where a file is looked for.
* **size cap**: a download stops, and its temporary file is deleted, once more than twice
  the file's expected size has arrived (or the Content-Length announces it); files of
  unknown size are capped at 2 GB (``$VAELAB_MAX_DOWNLOAD``, e.g. ``5G``).
* **HTML instead of the file** (an error, login or rate-limit page served with status 200),
  a 404, a refused connection, a timeout, a truncated transfer: one line naming the URL
  and the fix.
* **files found on disk** are checked against their checksum once: the verification is
  remembered in ``<cache>/verified/`` (keyed on the file's path, size and modification
  time), so later runs only ``stat`` the file; hashing 50 MB takes 35 ms (sha256) to 70 ms
  (md5) warm, more from a cold or network disk. ``data.verify=false`` uses files as they
  are (for files changed on purpose).
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import json
import os
import re
import socket
import ssl
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable, Optional, Sequence

from vaelab.data.registry import LoadContext
from vaelab.errors import DataError
from vaelab.fileio import atomic_write_text
from vaelab.progress import counter

_CHUNK = 1 << 16
#: ``gitblob`` is git's blob id, SHA-1 of ``b"blob <size>\0" + bytes``: what ``git ls-tree`` lists for a file.
_ALGORITHMS = ("md5", "sha1", "sha256", "gitblob")
MAX_DOWNLOAD_ENV = "VAELAB_MAX_DOWNLOAD"
DEFAULT_MAX_BYTES = 2_000_000_000  # for files of unknown size
_UNITS = {"": 1, "k": 10 ** 3, "m": 10 ** 6, "g": 10 ** 9, "t": 10 ** 12}
_LOOPBACK_NAMES = ("localhost", "localhost.localdomain")


# ---------------------------------------------------------------- checksums

def _new_hash(algorithm: str, size: int):
    if algorithm == "gitblob":
        h = hashlib.sha1()
        h.update(b"blob %d\0" % size)
        return h
    return hashlib.new(algorithm)


def file_digest(path: Path, algorithm: str) -> str:
    """Hex digest of a file's bytes (``md5``, ``sha1``, ``sha256`` or ``gitblob``)."""
    h = _new_hash(algorithm, os.path.getsize(path))
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def bytes_digest(data: bytes, algorithm: str) -> str:
    """Hex digest of bytes in memory, as :func:`file_digest` gives for a file holding them."""
    h = _new_hash(algorithm, len(data))
    h.update(data)
    return h.hexdigest()


def parse_checksum(checksum: str) -> tuple[str, str]:
    """``"sha256:<hex>"`` -> ``("sha256", "<hex>")``; a malformed checksum is a bug, not user input."""
    algorithm, _, hexdigest = checksum.partition(":")
    if algorithm not in _ALGORITHMS or not re.fullmatch(r"[0-9a-fA-F]{32,64}", hexdigest):
        raise ValueError(f"checksum {checksum!r} must look like 'md5:<hex>', 'sha256:<hex>' or 'gitblob:<hex>'")
    return algorithm, hexdigest.lower()


# ---------------------------------------------------------------- which URLs may be fetched

def mirror_url(url: str, subdir: str, filename: str) -> str:
    """``url``, unless ``$VAELAB_MIRROR`` is set: then ``<mirror>/<subdir>/<filename>``."""
    mirror = os.environ.get("VAELAB_MIRROR")
    return f"{mirror.rstrip('/')}/{subdir}/{filename}" if mirror else url


def _is_loopback(host: Optional[str]) -> bool:
    if not host:
        return False
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, allow_http: bool = False) -> None:
    """Refuse a URL that is not https, unless it is http to a loopback host or ``allow_http`` (a mirror)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and (allow_http or _is_loopback(parts.hostname))):
        return
    raise DataError(f"refusing to download {url}: built-in datasets are fetched over https only (plain "
                    "http can be altered on the way; http is accepted only from 127.0.0.1 or from the mirror "
                    "you name). To fix: use an https URL, or set VAELAB_MIRROR to a mirror you trust")


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to URLs :func:`check_url` accepts (no https -> http downgrade)."""

    def __init__(self, allow_http: bool):
        super().__init__()
        self.allow_http = allow_http

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        try:
            check_url(newurl, self.allow_http)
        except DataError as err:
            fp.close()
            raise DataError(f"{req.full_url} redirects to {newurl}, which was not followed: {err}") from None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


# ---------------------------------------------------------------- size caps

def _mb(n: int) -> str:
    """A size for a message: ``512 bytes``, ``4.5 kB``, ``26.4 MB``, ``2.00 GB``."""
    if n < 1e3:
        return f"{n} bytes"
    return f"{n / 1e3:.1f} kB" if n < 1e6 else f"{n / 1e6:,.1f} MB" if n < 1e9 else f"{n / 1e9:,.2f} GB"


def default_max_bytes() -> int:
    """The cap for files of unknown size: ``$VAELAB_MAX_DOWNLOAD`` (bytes, or ``500M``, ``5G``), else 2 GB."""
    value = os.environ.get(MAX_DOWNLOAD_ENV, "").strip()
    if not value:
        return DEFAULT_MAX_BYTES
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kmgt]?)b?", value.lower())
    if not m or float(m.group(1)) <= 0:
        raise DataError(f"{MAX_DOWNLOAD_ENV}={value!r} is not a size; give bytes or a number with K, M, G "
                        f"or T (e.g. {MAX_DOWNLOAD_ENV}=5G)")
    return int(float(m.group(1)) * _UNITS[m.group(2)])


def _too_large(url: str, name: str, cap: int, size: Optional[int], announced: Optional[int]) -> DataError:
    got = f"the server announces {_mb(announced)}" if announced is not None else f"more than {_mb(cap)} arrived"
    if size is not None:
        why = f"{name} should be about {_mb(size)}, so it was stopped at {_mb(cap)}"
        fix = "retry later; if VAELAB_MIRROR is set, check that it serves the original file"
    else:
        why = f"that is over the {_mb(cap)} limit for a download of unknown size"
        fix = f"if you expect a file this large, raise the limit with {MAX_DOWNLOAD_ENV} (e.g. {MAX_DOWNLOAD_ENV}=8G)"
    return DataError(f"download of {url} stopped: {got}; {why}. Nothing was kept. To fix: {fix}")


# ---------------------------------------------------------------- the transfer

class _Truncated(http.client.HTTPException):
    """The body ended before the announced Content-Length."""

    def __init__(self, received: int, total: int):
        super().__init__(f"{received} of {total} bytes")
        self.received, self.total = received, total


def _html(url: str, name: str, hint: Optional[str]) -> DataError:
    return DataError(f"download of {url} failed: the server sent an HTML page instead of {name} (an error, "
                     "login or rate-limit page?); nothing was kept. To fix: open the URL in a browser to see "
                     f"what it says and retry later{'; or ' + hint if hint else ''}")


def _looks_like_html(head: bytes) -> bool:
    start = head[:512].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))


def _stream(url: str, out, timeout: float, name: str, cap: int, size: Optional[int], allow_http: bool,
            hint: Optional[str]) -> None:
    """Copy ``url`` into the open file ``out``; network failures propagate as urllib/OSError."""
    opener = urllib.request.build_opener(_CheckedRedirects(allow_http))
    request = urllib.request.Request(url, headers={"User-Agent": "vaelab"})
    with opener.open(request, timeout=timeout) as response:
        html_name = name.lower().endswith((".html", ".htm"))
        if "text/html" in (response.headers.get("Content-Type") or "").lower() and not html_name:
            raise _html(url, name, hint)
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        if total is not None and total > cap:
            raise _too_large(url, name, cap, size, total)
        received = 0
        with counter(f"downloading {name}", total, kind="bytes") as advance:
            for block in iter(lambda: response.read(_CHUNK), b""):
                if received == 0 and not html_name and _looks_like_html(block):
                    raise _html(url, name, hint)
                received += len(block)
                if received > cap:
                    raise _too_large(url, name, cap, size, None)
                out.write(block)
                advance(len(block))
        # A connection dropped mid-body can end the stream early without an exception.
        if total is not None and received != total:
            raise _Truncated(received, total)


def _fix_for(err: BaseException, timeout: float) -> tuple[str, str]:
    """(what went wrong, the first thing to try) for a failed transfer."""
    mirror = os.environ.get("VAELAB_MIRROR")
    if isinstance(err, urllib.error.HTTPError):
        if err.code in (404, 410):
            where = (f"check that the mirror VAELAB_MIRROR={mirror} holds this file" if mirror
                     else "the file has moved or was removed from its source")
            return str(err), where
        if err.code in (401, 403):
            return str(err), "the server refuses access (a proxy or firewall?)"
        return str(err), "the server is busy or failing: retry later"
    if isinstance(err, _Truncated):
        return (f"the connection broke after {err.received:,} of {err.total:,} bytes",
                "retry (nothing partial was kept)")
    if isinstance(err, http.client.IncompleteRead):
        return "the connection broke before the end of the file", "retry (nothing partial was kept)"
    reason = getattr(err, "reason", None) or err
    if isinstance(reason, (socket.timeout, TimeoutError)) or "timed out" in str(reason):
        return f"{type(reason).__name__}: no answer within {timeout:g} s", "retry later"
    if isinstance(reason, ssl.SSLError):
        fix = "the server's certificate could not be checked: update the CA certificates (or SSL_CERT_FILE)"
        return f"{type(reason).__name__}: {reason}", f"{fix} and check the clock"
    also = f" and that the mirror VAELAB_MIRROR={mirror} is up" if mirror else ""
    return f"{type(err).__name__}: {reason}", f"check the network connection (and HTTPS_PROXY behind a proxy){also}"


def _download_failed(url: str, dest: Path, err: BaseException, hint: Optional[str], timeout: float) -> DataError:
    what, first = _fix_for(err, timeout)
    fix = hint or (f"download it yourself and put it at <DIR>/{dest.parent.name}/{dest.name}, "
                   "then pass --data-dir DIR (or set VAELAB_DATA=DIR)")
    what = " ".join(what.split())  # one line, whatever the server's reason phrase held
    return DataError(f"download of {url} failed ({what}). To fix: {first}; or {fix}")


def _verify(tmp: Path, url: str, dest: Path, checksum: Optional[str]) -> None:
    if checksum is None:
        return
    algorithm, expected = parse_checksum(checksum)
    actual = file_digest(tmp, algorithm)
    if actual != expected:
        raise DataError(f"checksum mismatch for {dest.name} downloaded from {url}: expected "
                        f"{algorithm}:{expected}, got {algorithm}:{actual}. The download was discarded; "
                        "retry later, or set VAELAB_MIRROR to a trusted mirror")


def fetch(url: str, dest: Path, checksum: Optional[str], *, timeout: float = 30,
          hint: Optional[str] = None, validate: Optional[Callable[[Path], None]] = None,
          size: Optional[int] = None, max_bytes: Optional[int] = None, allow_http: bool = False) -> Path:
    """Download ``url`` to ``dest`` and return ``dest``; nothing half-written is ever left at ``dest``.

    The URL must be https (:func:`check_url`; ``allow_http`` for a mirror the user named).
    The bytes go to a temporary file next to ``dest``; the transfer stops past ``max_bytes``
    (default: twice ``size``, the expected size, else :func:`default_max_bytes`). The file is
    checked (``checksum`` as ``"md5:<hex>"``, ``"sha256:<hex>"``, ...; ``None`` = only the
    byte count and ``validate(tmp_path)``) and then renamed into place with ``os.replace``,
    which is atomic. On any failure the temporary file is deleted and a :class:`DataError`
    is raised; ``hint`` is the fix it suggests besides retrying.
    """
    check_url(url, allow_http)
    cap = max_bytes if max_bytes is not None else 2 * size if size is not None else default_max_bytes()
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                _stream(url, out, timeout, dest.name, cap, size, allow_http, hint)
            except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as err:
                raise _download_failed(url, dest, err, hint, timeout) from None
        _verify(tmp, url, dest, checksum)
        if validate is not None:
            validate(tmp)
        os.replace(tmp, dest)
    except BaseException:
        # Including KeyboardInterrupt: a partial file must never survive.
        tmp.unlink(missing_ok=True)
        raise
    return dest


# ---------------------------------------------------------------- files found on disk

def _record_path(ctx: LoadContext, path: Path) -> Path:
    key = hashlib.sha256(str(path.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return ctx.cache_dir / "verified" / f"{key}.json"


def _record(path: Path, checksum: str) -> dict:
    st = path.stat()
    return {"path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns, "checksum": checksum}


def remember(ctx: LoadContext, path: Path, checksum: str, record: Optional[dict] = None) -> None:
    """Note that ``path`` (as it is now: size, modification time) matched ``checksum``.

    A cache that cannot be written only means the file is hashed again next time.
    """
    try:
        atomic_write_text(_record_path(ctx, path), json.dumps(record or _record(path, checksum)))
    except OSError:
        pass


def verify_local(ctx: LoadContext, path: Path, checksum: Optional[str], *,
                 digest: Optional[Callable[[str], str]] = None, what: str = "") -> Path:
    """``path`` once its checksum matched, else a :class:`DataError` naming both digests and the fix.

    Checked once per file: the match is remembered (:func:`remember`) until the file's size
    or modification time changes. ``digest(algorithm)`` replaces the hash of the file's
    bytes (a check of its contents; ``what`` says which, in the message). Skipped when
    ``checksum`` is None or ``ctx.verify`` is off (``data.verify=false``).
    """
    if checksum is None or not ctx.verify:
        return path
    record = _record(path, checksum)  # taken before hashing: a change meanwhile is seen next time
    try:
        if json.loads(_record_path(ctx, path).read_text(encoding="utf-8")) == record:
            return path
    except (OSError, ValueError):
        pass
    algorithm, expected = parse_checksum(checksum)
    actual = digest(algorithm) if digest is not None else file_digest(path, algorithm)
    if actual != expected:
        again = ("delete it and run again to download the original" if ctx.download
                 else "replace it with the original file")
        raise DataError(f"{path} is not the original file: its checksum{what} is {algorithm}:{actual}, expected "
                        f"{algorithm}:{expected}. To fix: {again}, or set data.verify=false to use it as it is "
                        "(a file you changed on purpose)")
    remember(ctx, path, checksum, record)
    return path


def locate(ctx: LoadContext, subdir: str, filename: str) -> Optional[Path]:
    """The first ``<dir>/<filename>`` that exists among ``ctx.search_dirs(subdir)``, else None (not verified)."""
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
                  expected: Sequence[str] = (), validate: Optional[Callable[[Path], None]] = None,
                  size: Optional[int] = None, max_bytes: Optional[int] = None) -> Path:
    """Path of ``filename``: found in the data dir or the cache (verified once), else downloaded.

    Downloads go to ``<cache>/<subdir>/<filename>`` and are verified before they land
    there. ``expected`` lists all the files of the dataset, for the error message; ``size``
    (bytes) or ``max_bytes`` caps the download (:func:`fetch`).
    """
    found = locate(ctx, subdir, filename)
    if found is not None:
        return verify_local(ctx, found, checksum)
    hint = place_files_hint(ctx, subdir, list(expected) or [filename])
    if not ctx.download:
        looked = ", ".join(str(d) for d in ctx.search_dirs(subdir))
        raise DataError(f"{filename} not found (looked in {looked}) and downloading is off. "
                        f"To fix: {hint}, or allow downloads (data.download=true)")
    source = mirror_url(url, subdir, filename)
    dest = fetch(source, ctx.cache_dir / subdir / filename, checksum, hint=hint, validate=validate, size=size,
                 max_bytes=max_bytes, allow_http=source != url)
    if checksum is not None:
        remember(ctx, dest, checksum)
    return dest


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
