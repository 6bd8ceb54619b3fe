"""``samples``: decoded samples (the prior, or a density fitted to the codes), as a grid."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from vaelab.plots.images import Pixels, grid_of
from vaelab.plots.inputs import require
from vaelab.plots.panels import mosaic_size, show_tiles
from vaelab.plots.style import new_figure, styled


@styled
def draw_samples(samples: dict, max_items: int = 100, columns: int | None = None) -> Figure:
    """Up to ``max_items`` of ``samples.npz``'s ``x`` in a near-square grid (or ``columns`` wide)."""
    require(samples, "x", source="samples.npz")
    pixels = Pixels(samples, ["x"], lead=1)
    x = np.asarray(samples["x"])[:max_items]
    n = len(x)
    cols = columns or max(1, min(16, math.ceil(math.sqrt(n))))
    tiles = grid_of(pixels.tiles(x), cols)
    width, height = mosaic_size(*tiles.shape[:4], pixels.tile_inches)
    fig = new_figure(max(width, 3.0) + 0.3, height + 0.6)
    ax = fig.add_subplot()
    show_tiles(ax, tiles)
    sampler = str(samples["sampler"]) if "sampler" in samples else "prior"
    source = "the prior" if sampler == "prior" else f"the '{sampler}' density fitted to the training codes"
    ax.set_title(f"Samples from {source}, decoded ({n} draws; likelihood mean)")
    return fig
