"""``traversals``: one row per latent dimension, decoding as that dimension sweeps its values."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from vaelab.plots.images import Pixels, traversal_grid
from vaelab.plots.inputs import require, scalar_str
from vaelab.plots.panels import mosaic_size, show_tiles
from vaelab.plots.style import new_figure, styled


@styled
def draw_traversals(traversals: dict, columns: int = 11, max_rows: int = 16) -> Figure:
    """Rows of ``traversals.npz`` (already most active first) at about ``columns`` values.

    Each row is labelled with its dimension and activity (``z7  A=1.23``) and each column
    with its latent value. Only the first ``max_rows`` rows are drawn; the title says so.
    """
    require(traversals, "x", "values", "dims", source="traversals.npz")
    pixels = Pixels(traversals, ["x"], lead=2)
    grid = traversal_grid(traversals, columns, max_rows)
    dims, n_rows = grid.dims, grid.rows
    x = np.asarray(traversals["x"])[:n_rows][:, grid.keep]
    tiles = pixels.tiles(x)  # (rows, cols, h, w, 3)
    width, height = mosaic_size(*tiles.shape[:4], pixels.tile_inches)
    fig = new_figure(width + 1.6, height + 1.0)
    ax = fig.add_subplot()
    show_tiles(ax, tiles, row_labels=grid.row_labels, col_labels=grid.col_labels, cols_on_top=True,
               max_col_labels=len(grid.keep))
    ax.set_xlabel("latent value")
    ax.set_ylabel("dimension")
    base = scalar_str(traversals, "base", "zero")
    base_text = {"zero": "other dimensions 0", "data": "other dimensions from a data point's code"}.get(base, base)
    if n_rows < len(dims):
        shown = f"the {n_rows} most active of {len(dims)} dimensions"
    else:
        shown = {1: "the one dimension", 2: "both dimensions"}.get(len(dims), f"all {len(dims)} dimensions")
        shown += ", most active first" if len(dims) > 1 else ""
    ax.set_title(f"Latent traversals: {shown}\n({base_text})")
    return fig
