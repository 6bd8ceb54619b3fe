"""``traversals``: one row per latent dimension, decoding as that dimension sweeps its values."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from vaelab.plots.images import Pixels, column_subsample
from vaelab.plots.inputs import require, scalar_str
from vaelab.plots.panels import mosaic_size, show_tiles
from vaelab.plots.style import dim_name, fmt, new_figure, styled


@styled
def draw_traversals(traversals: dict, columns: int = 11, max_rows: int = 16) -> Figure:
    """Rows of ``traversals.npz`` (already most active first) at about ``columns`` values.

    Each row is labelled with its dimension and activity (``z7  A=1.23``) and each column
    with its latent value. Only the first ``max_rows`` rows are drawn; the title says so.
    """
    require(traversals, "x", "values", "dims", source="traversals.npz")
    pixels = Pixels(traversals, ["x"], lead=2)
    values = np.asarray(traversals["values"], dtype=np.float64)
    dims = np.asarray(traversals["dims"]).reshape(-1)
    activity = np.asarray(traversals.get("activity", np.full(len(dims), np.nan)), dtype=np.float64)
    keep_cols = column_subsample(len(values), columns)
    n_rows = min(len(dims), max_rows)
    x = np.asarray(traversals["x"])[:n_rows][:, keep_cols]
    tiles = pixels.tiles(x)  # (rows, cols, h, w, 3)
    width, height = mosaic_size(*tiles.shape[:4], pixels.tile_inches)
    fig = new_figure(width + 1.6, height + 1.0)
    ax = fig.add_subplot()
    row_labels = [dim_name(dims[r]) + (f"  A={fmt(activity[r])}" if np.isfinite(activity[r]) else "")
                  for r in range(n_rows)]
    show_tiles(ax, tiles, row_labels=row_labels, col_labels=[fmt(v, 2) for v in values[keep_cols]],
               cols_on_top=True, max_col_labels=len(keep_cols))
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
