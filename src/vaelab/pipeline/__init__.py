"""The pipeline: orchestrators over a run directory, just below :mod:`vaelab.api`.

Each step loads what it needs from the run (:mod:`vaelab.rundir`), calls the pure parts
below (diagnostics, views, plots, sampling, latentopt, chem) and writes its results back
into the run directory. Nothing below this layer imports it; ``api`` and the CLI sit on top.

* :func:`evaluate_run` (``diagnostics.json``; the FD feature net, molecule metrics),
* :func:`write_samples` (``samples/``), :func:`plot_run` (``arrays/``, ``plots/``),
* :func:`run_lso` (``lso/``).
"""

from vaelab.lazy import lazy_exports

#: public name -> the submodule that defines it, imported on first use (defaults.py stays light)
_NAMES = {"evaluate_run": "evaluate", "run_lso": "lso", "plot_run": "plotting", "SampleResult": "samples",
          "load_samples": "samples", "write_samples": "samples"}

__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_exports(__name__, _NAMES)
