"""Figures drawn from a run directory's saved arrays; this package never calls a model or a metric.

``draw(run_dir, kinds=None, out_dir=None, **options)`` writes ``plots/<kind>.png`` for
each figure in :data:`FIGURES` whose inputs exist and returns ``(written, skipped)``.
Each ``draw_*`` function takes the loaded input files and options and returns a
matplotlib Figure (Agg canvas, never registered with pyplot). The inputs are those
of ``docs/run-arrays.md``.
"""

from vaelab.lazy import lazy_exports

#: public name -> the submodule that defines it, imported on first use
_NAMES = {
    "draw_activity": "activity",
    "draw_bubbles": "bubbles",
    "draw_curves": "curves",
    "FigureNotApplicable": "errors",
    "draw_interpolations": "interpolations",
    "draw_lattice": "lattice",
    "pca": "projection",
    "project": "projection",
    "draw_reconstructions": "reconstructions",
    "FIGURES": "registry",
    "DrawResult": "drawing",
    "FigureSpec": "registry",
    "draw": "drawing",
    "figure_options": "registry",
    "resolve_kinds": "registry",
    "draw_samples": "samples",
    "draw_latent_scatter": "scatter",
    "draw_traversals": "traversals",
}

__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_exports(__name__, _NAMES)
