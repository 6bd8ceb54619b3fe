"""The run directory, the contract between training and every later stage.

* :mod:`~vaelab.rundir.layout`: where each file lives (every name defined once);
* :mod:`~vaelab.rundir.checkpoint`: the checkpoint format (atomic, safetensors weights);
* :mod:`~vaelab.rundir.run`: :class:`Run`, a loaded run with its model, and :func:`load_run`;
* :mod:`~vaelab.rundir.fits`: the fit store for what is fitted to a run after training.
"""

from vaelab.lazy import lazy_exports

#: public name -> the submodule that defines it, imported on first use (the layout is light, Run loads torch)
_NAMES = {"FitFolder": "fits", "FitMismatch": "fits", "checkpoint_stamp": "fits", "RunLayout": "layout",
          "Run": "run", "load_run": "run"}

__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_exports(__name__, _NAMES)
