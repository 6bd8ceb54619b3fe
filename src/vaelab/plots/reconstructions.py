"""``reconstructions``: data above its reconstruction from the posterior mean."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from vaelab.plots.images import Pixels
from vaelab.plots.inputs import require
from vaelab.plots.panels import mosaic_size, show_tiles
from vaelab.plots.style import new_figure, styled


@styled
def draw_reconstructions(reconstructions: dict, columns: int = 16, max_items: int = 32) -> Figure:
    """Pairs of rows (``data``, ``reconstruction``), ``columns`` items per pair, ``max_items`` in all.

    Data and reconstructions share one value scale.
    """
    require(reconstructions, "x", "x_rec", source="reconstructions.npz")
    pixels = Pixels(reconstructions, ["x", "x_rec"], lead=1)
    n = min(len(reconstructions["x"]), len(reconstructions["x_rec"]), max_items)
    blocks = max(1, math.ceil(n / max(columns, 1)))
    per_block = math.ceil(n / blocks)  # blocks of equal width; the last may be one short
    data = pixels.tiles(np.asarray(reconstructions["x"])[:n])
    rec = pixels.tiles(np.asarray(reconstructions["x_rec"])[:n])
    h, w = data.shape[1:3]
    width, height = mosaic_size(2, per_block, h, w, pixels.tile_inches)
    fig = new_figure(width + 1.2, blocks * (height + 0.15) + 0.5)
    axes = fig.subplots(blocks, 1, squeeze=False)[:, 0]
    for b, ax in enumerate(axes):
        part = slice(b * per_block, min(n, (b + 1) * per_block))
        show_tiles(ax, np.stack([data[part], rec[part]]), row_labels=["data", "reconstruction"])
        ax.set_anchor("W")
    axes[0].set_title(f"Reconstructions from the posterior mean ({n} examples)")
    return fig
