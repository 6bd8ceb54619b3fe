"""User-facing errors, and the exit codes the command line gives them.

Every problem a user can cause (a bad config key, a missing data file, a corrupt
checkpoint, a diverged run) raises a subclass of :class:`VaelabError`. The CLI prints
its message on one line and exits non-zero without a traceback; library users catch
it like any exception.

Exit codes: 2 bad input (:class:`VaelabError`), 3 training diverged, 4 a file could not
be read or written (:class:`IOFailure`: a full disk, a read-only folder, a missing
permission), 130 interrupted (Ctrl-C), 143 terminated (SIGTERM), 1 an internal error
(a bug: its traceback goes to a crash log whose path is printed).
"""

from __future__ import annotations

import difflib
import reprlib
from typing import Iterable


class VaelabError(Exception):
    """An error caused by input the user can fix. The message names the problem and the fix."""

    exit_code = 2


class ConfigError(VaelabError):
    """An invalid configuration: unknown key, wrong type, value out of range."""


class DataError(VaelabError):
    """Data that is missing, malformed, or fails its checksum."""


class CheckpointError(VaelabError):
    """A run directory or checkpoint that is missing, incomplete or corrupt."""


class DamagedFile(CheckpointError):
    """A file vaelab wrote earlier (a run's records, figure arrays, a cache) that is damaged or not what its name says.

    ``path`` is the file and ``detail`` what is wrong with it, in a few words.
    """

    def __init__(self, message: str, path=None, detail: str = ""):
        super().__init__(message)
        self.path, self.detail = path, detail


def damaged_file(path, detail, fix: str = "") -> DamagedFile:
    """The one message for such a file: ``'RUN/arrays/x.npz' is damaged or not a .npz file (...); <fix>``."""
    from pathlib import PurePath

    suffix = PurePath(str(path)).suffix
    what = f"damaged or not a {suffix} file" if suffix else "damaged"
    detail = " ".join(str(detail).split())[:160] or type(detail).__name__
    fix = fix or "delete it and run the command that writes it again"
    return DamagedFile(f"'{path}' is {what} ({detail}); {fix}", path, detail)


class TrainingDiverged(VaelabError):
    """The loss became NaN or Inf; the last good checkpoint is kept."""

    exit_code = 3


class IOFailure(VaelabError):
    """A file could not be read or written (disk full, read-only, no permission); earlier results are intact."""

    exit_code = 4


EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM
EXIT_INTERNAL = 1


class Terminated(KeyboardInterrupt):
    """SIGTERM (Slurm, Kubernetes and ``timeout`` send it before killing), handled like Ctrl-C: save, then stop."""


def io_failure(err: OSError) -> IOFailure:
    """An OSError as one line that names the file and what to do."""
    import errno

    where = f"'{err.filename}'" if getattr(err, "filename", None) else "a file"
    fixes = {errno.ENOSPC: "the disk is full: free some space", errno.EDQUOT: "the disk quota is used up",
             errno.EROFS: "the file system is read-only: choose another folder",
             errno.EACCES: "permission denied: choose a folder you can write to",
             errno.EPERM: "operation not permitted: choose a folder you can write to",
             errno.ENAMETOOLONG: "the path is too long: choose a shorter one",
             errno.ENOTDIR: "a part of the path is a file, not a folder",
             errno.EISDIR: "the path is a folder, not a file",
             errno.EFBIG: "the file is larger than this system allows (a file size limit, `ulimit -f`)",
             errno.EEXIST: "something of that name is already there (a file, or a broken link): choose another path"}
    fix = fixes.get(err.errno, err.strerror or type(err).__name__)
    return IOFailure(f"could not read or write {where}: {fix}; finished checkpoints and earlier results are intact")


def did_you_mean(name: str, valid: Iterable[str]) -> str:
    """`` Did you mean 'x'?`` for the valid name closest to ``name`` (difflib's ratio >= 0.6), else ``""``.

    The one suggestion every "unknown ..." message uses: config keys, model options,
    model, dataset and sampler names.
    """
    close = difflib.get_close_matches(str(name), [str(v) for v in valid], n=1)
    return f" Did you mean '{close[0]}'?" if close else ""


def unknown_name(what: str, name: str, valid: Iterable[str], listing: str = "Available", sort: bool = True,
                 see: str = "") -> str:
    """The one message for a name a registry does not hold: ``unknown model 'vea'. Did you mean 'vae'? Available: ...``.

    ``see`` names the command that lists them (``vaelab models``).
    """
    names = [str(v) for v in valid]
    shown = ", ".join(sorted(names) if sort else names)
    tail = f" (see `{see}`)" if see else ""
    return f"unknown {what} '{name}'.{did_you_mean(name, names)} {listing}: {shown}{tail}"


#: the repr of a bad value in a message: bounded, so a YAML alias bomb cannot make a 50 MB line
_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxtuple, _SHORT.maxdict = 2, 4, 4, 4
_SHORT.maxstring, _SHORT.maxother = 60, 60
#: validation errors named in one message; the rest are counted
_MAX_ERRORS = 3


def format_validation_error(err, prefix: str = "") -> str:
    """A pydantic ``ValidationError`` as one line: ``config key 'train.epochs': Input should be ... (got 'many')``.

    Several errors are joined by ``; `` (the first three, then a count). ``prefix`` is put before each location
    (``"model.options."`` for a variant's options).
    """
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"] if not str(p).startswith("function-"))
        got = e.get("input")
        got_s = "" if isinstance(got, dict) or "got " in e["msg"] else f" (got {_SHORT.repr(got)})"
        msg = e["msg"].replace("Value error, ", "")
        if loc:
            lines.append(f"config key '{prefix}{loc}': {msg}{got_s}")
        else:
            lines.append(f"{prefix.rstrip('.')}: {msg}" if prefix else msg)
    more = f"; and {len(lines) - _MAX_ERRORS} more" if len(lines) > _MAX_ERRORS else ""
    return "; ".join(lines[:_MAX_ERRORS]) + more
