"""The sections of a report, one module each: runs overview, config differences, diagnostics, figures.

Each ``*_section(runs)`` takes the loaded :class:`~vaelab.report.load.RunData` list and
returns :class:`~vaelab.report.html.Markup`. Labels, directions and definitions of the
diagnostics come from :mod:`vaelab.diagnostics.catalogue`; figure order, titles and
captions from :data:`vaelab.plots.registry.FIGURES`.
"""

from vaelab.report.sections.config import config_section
from vaelab.report.sections.diagnostics import diagnostics_section
from vaelab.report.sections.figures import figures_section
from vaelab.report.sections.runs import runs_section

__all__ = ["config_section", "diagnostics_section", "figures_section", "runs_section"]
