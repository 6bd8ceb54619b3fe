"""Self-contained HTML reports over one or several run directories.

``build_report(run_dirs, out)`` reads each run's ``config.yaml`` (required),
``summary.json``, ``diagnostics.json`` and ``plots/*.png`` (optional) and writes one
HTML file with everything embedded. Modules: ``html`` (escaping and table helpers),
``load`` (reading a run directory), the ``sections`` package (one module per section:
runs, config differences, diagnostics and their detail tables, figures), ``build``
(the page and the atomic write). Metric labels and definitions come from
:mod:`vaelab.diagnostics.catalogue`, figure titles and captions from
:data:`vaelab.plots.registry.FIGURES`.
"""

from vaelab.report.build import build_report, render_report
from vaelab.report.load import RunData, load_run_dir

__all__ = ["RunData", "build_report", "load_run_dir", "render_report"]
