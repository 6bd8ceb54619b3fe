"""The fit store: everything fitted to a run after training and cached in its directory.

Samplers (``samplers/<name>/``), LSO property predictors with the statistics of their
codes (``lso/<property>/``) and, outside any run, the FD feature nets trained on user data
(``$VAELAB_CACHE/feature-nets/<key>/``) are all saved the same way: arrays as
safetensors files (no pickle), then a JSON record, written last, so a folder without its
record is an interrupted fit and is fitted afresh.

**One invalidation rule.** A saved fit is reused only when its record says it was
fitted with the same options on the same checkpoint (folder name, epoch and step) as
the run is loaded at; anything else raises :class:`FitMismatch`, which names what
differs and asks for an explicit refit. Asking for no options accepts the saved fit's.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from vaelab.errors import CheckpointError, ConfigError, DamagedFile
from vaelab.fileio import (
    load_safetensors,
    publish_folder,
    read_json,
    save_safetensors,
    write_json,
)


class FitMismatch(ConfigError):
    """A saved fit was made with other options or on another checkpoint than the one asked for."""


def checkpoint_stamp(run) -> dict:
    """The checkpoint a fit belongs to: its folder name and, when the checkpoint says, epoch and step."""
    out = {"checkpoint": run.checkpoint}
    out.update({f"checkpoint_{k}": run.meta[k] for k in ("epoch", "step") if k in run.meta})
    return out


def fit_time_fields() -> dict:
    """When and by which version a fit was made (for its record)."""
    from vaelab.version import __version__

    return {"fitted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "vaelab_version": __version__}


def _normal(obj):
    """JSON round trip, so tuples and lists (and int/float spellings) compare as stored."""
    return json.loads(json.dumps(obj))


def _show_stamp(c: dict) -> str:
    return f"{c.get('checkpoint')}" + (f" (epoch {c['checkpoint_epoch']})" if c.get("checkpoint_epoch") else "")


@dataclass(frozen=True)
class FitFolder:
    """One folder holding one fitted object: safetensors files plus ``record`` (JSON, written last).

    ``what`` names the object in messages (``sampler 'gmm'``); ``refit`` is the fix a
    message offers (``pass --refit (API: refit=True) to fit the sampler again``).
    """

    folder: Path
    record: str
    what: str
    refit: str

    @property
    def record_path(self) -> Path:
        return Path(self.folder) / self.record

    def read_record(self, needs: str | None = "options") -> dict | None:
        """The saved record (holding the key ``needs``); None when absent; a damaged one names the fix."""
        path = self.record_path
        if not path.is_file():
            return None
        try:
            record = read_json(path)
            if not isinstance(record, dict) or (needs is not None and needs not in record):
                raise ValueError("not a fit record")
        except (ValueError, DamagedFile):
            raise CheckpointError(f"'{path}' is damaged; {self.refit}") from None
        return record

    def check(self, record: dict, options: dict, run=None, **extra) -> None:
        """Raise :class:`FitMismatch` unless ``record`` was fitted with ``options`` (and ``extra`` fields) on the
        run's checkpoint."""
        saved = {**record["options"], **{k: record.get(k) for k in extra}}
        asked = {**options, **extra}
        if _normal(saved) != _normal(asked):
            diff = ", ".join(f"{k}={json.dumps(saved.get(k))} (asked {json.dumps(asked.get(k))})"
                             for k in sorted(set(saved) | set(asked)) if _normal(saved.get(k)) != _normal(asked.get(k)))
            raise FitMismatch(f"{self.what} in {self.folder} was fitted with other options: {diff}; {self.refit}, "
                              "which replaces the saved one")
        if run is None:
            return
        now = checkpoint_stamp(run)
        then = {k: record.get(k) for k in now}
        if then != now:
            raise FitMismatch(f"{self.what} in {self.folder} was fitted on checkpoint {_show_stamp(then)}, but the run "
                              f"is loaded at {_show_stamp(now)}; {self.refit} on this checkpoint")

    def begin(self, fresh: bool = True) -> None:
        """Start a fit: remove the record (so an interrupted fit never passes for a complete one) or, with
        ``fresh``, the whole folder (an old or interrupted fit and everything beside it)."""
        if fresh:
            shutil.rmtree(self.folder, ignore_errors=True)
        else:
            self.record_path.unlink(missing_ok=True)
        Path(self.folder).mkdir(parents=True, exist_ok=True)

    def save_arrays(self, name: str, arrays: dict) -> None:
        """Tensors or numpy arrays as ``<folder>/<name>`` (safetensors)."""
        save_safetensors(Path(self.folder) / name, arrays)

    def load_arrays(self, name: str, framework: str = "pt") -> dict:
        """The arrays of ``<folder>/<name>``; a missing or damaged file names the fix."""
        path = Path(self.folder) / name
        try:
            return load_safetensors(path, framework)
        except Exception as err:  # safetensors raises its own error types for damaged files
            raise CheckpointError(f"{self.what}: '{path}' is missing or unreadable ({err}); {self.refit}") from None

    def finish(self, record: dict) -> dict:
        """Write the record last: its presence marks a complete fit."""
        write_json(self.record_path, record)
        return record

    def publish(self, arrays: dict[str, dict], record: dict) -> bool:
        """Write a whole fit at once, for a cache that several processes may fill together (the FD feature nets).

        ``arrays`` maps file names to what :meth:`save_arrays` takes. Everything goes to
        a folder of a unique name that is renamed into place
        (:func:`vaelab.fileio.publish_folder`), so two processes never write through each
        other's files. When another process published a complete fit first, that one
        is kept (a cache folder is named by everything its fit depends on); False then.
        """
        def fill(tmp: Path) -> None:
            for name, tensors in arrays.items():
                save_safetensors(tmp / name, tensors)
            write_json(tmp / self.record, record)

        return publish_folder(self.folder, fill, complete=self._complete)

    def _complete(self, folder: Path) -> bool:
        """A folder holding a readable record: a finished fit."""
        try:
            return isinstance(read_json(Path(folder) / self.record), dict)
        except (OSError, DamagedFile):
            return False
