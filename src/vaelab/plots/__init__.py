"""Figures drawn from a run directory's saved arrays; this package never calls a model or a metric.

``draw(run_dir, kinds=None, out_dir=None, **options)`` writes ``plots/<kind>.png`` for
each figure in :data:`FIGURES` whose inputs exist and returns ``(written, skipped)``.
Each ``draw_*`` function takes the loaded input files and options and returns a
matplotlib Figure (Agg canvas, never registered with pyplot). The inputs are those
of ``docs/run-arrays.md``.
"""

from vaelab.plots.activity import draw_activity
from vaelab.plots.bubbles import draw_bubbles
from vaelab.plots.curves import draw_curves
from vaelab.plots.errors import FigureNotApplicable
from vaelab.plots.interpolations import draw_interpolations
from vaelab.plots.lattice import draw_lattice
from vaelab.plots.projection import pca, project
from vaelab.plots.reconstructions import draw_reconstructions
from vaelab.plots.registry import FIGURES, DrawResult, FigureSpec, draw, figure_options
from vaelab.plots.samples import draw_samples
from vaelab.plots.scatter import draw_latent_scatter
from vaelab.plots.traversals import draw_traversals

__all__ = [
    "FIGURES", "DrawResult", "FigureNotApplicable", "FigureSpec", "draw", "draw_activity", "draw_bubbles",
    "draw_curves", "draw_interpolations", "draw_lattice", "draw_latent_scatter", "draw_reconstructions",
    "draw_samples", "draw_traversals", "figure_options", "pca", "project",
]
