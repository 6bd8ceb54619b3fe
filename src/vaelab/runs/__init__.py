"""The run directory: the contract between training and every later stage."""

from vaelab.runs.run import Run, load_run

__all__ = ["Run", "load_run"]
