"""The run directory, the contract between training and every later stage.

* :mod:`~vaelab.rundir.layout`: where each file lives (every name defined once);
* :mod:`~vaelab.rundir.checkpoint`: the checkpoint format (atomic, safetensors weights);
* :mod:`~vaelab.rundir.run`: :class:`Run`, a loaded run with its model, and :func:`load_run`;
* :mod:`~vaelab.rundir.fits`: the fit store for what is fitted to a run after training.
"""

from vaelab.rundir.fits import FitFolder, FitMismatch, checkpoint_stamp
from vaelab.rundir.layout import RunLayout
from vaelab.rundir.run import Run, load_run

__all__ = ["FitFolder", "FitMismatch", "Run", "RunLayout", "checkpoint_stamp", "load_run"]
