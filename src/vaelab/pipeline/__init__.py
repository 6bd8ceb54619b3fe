"""The pipeline: orchestrators over a run directory, just below :mod:`vaelab.api`.

Each step loads what it needs from the run (:mod:`vaelab.rundir`), calls the pure parts
below (diagnostics, views, plots, sampling, latentopt, chem) and writes its results back
into the run directory. Nothing below this layer imports it; ``api`` and the CLI sit on top.

* :func:`evaluate_run` (``diagnostics.json``; the FD feature net, molecule metrics),
* :func:`write_samples` (``samples/``), :func:`plot_run` (``arrays/``, ``plots/``),
* :func:`run_lso` (``lso/``).
"""

from vaelab.pipeline.evaluate import evaluate_run
from vaelab.pipeline.lso import run_lso
from vaelab.pipeline.plotting import plot_run
from vaelab.pipeline.samples import SampleResult, load_samples, write_samples

__all__ = ["SampleResult", "evaluate_run", "load_samples", "plot_run", "run_lso", "write_samples"]
