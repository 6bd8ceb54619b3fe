"""User-facing errors.

Every problem a user can cause (a bad config key, a missing data file, a corrupt
checkpoint, a diverged run) raises a subclass of :class:`VaelabError`. The CLI prints
its message on one line and exits non-zero without a traceback; library users catch
it like any exception.
"""

from __future__ import annotations


class VaelabError(Exception):
    """An error caused by input the user can fix. The message names the problem and the fix."""

    exit_code = 2


class ConfigError(VaelabError):
    """An invalid configuration: unknown key, wrong type, value out of range."""


class DataError(VaelabError):
    """Data that is missing, malformed, or fails its checksum."""


class CheckpointError(VaelabError):
    """A run directory or checkpoint that is missing, incomplete or corrupt."""


class TrainingDiverged(VaelabError):
    """The loss became NaN or Inf; the last good checkpoint is kept."""

    exit_code = 3
