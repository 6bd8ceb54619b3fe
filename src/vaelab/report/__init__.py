"""Self-contained HTML reports over one or several run directories.

``build_report(run_dirs, out)`` reads each run's ``config.yaml`` (required),
``summary.json``, ``diagnostics.json`` and ``plots/*.png`` (optional) and writes one
HTML file with everything embedded. Modules: ``html`` (escaping and table helpers),
``load`` (reading a run directory), ``sections`` (runs, config differences,
diagnostics, figures), ``build`` (the page and the atomic write).
"""

from vaelab.report.build import build_report, render_report
from vaelab.report.load import RunData, load_run_dir

__all__ = ["RunData", "build_report", "load_run_dir", "render_report"]
