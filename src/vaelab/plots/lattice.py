"""``lattice``: decoded images on a grid over two latent dimensions, as one mosaic."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from vaelab.plots.errors import FigureNotApplicable
from vaelab.plots.images import Pixels
from vaelab.plots.inputs import require
from vaelab.plots.panels import mosaic_size, show_tiles
from vaelab.plots.style import dim_name, fmt, new_figure, styled


@styled
def draw_lattice(lattice: dict) -> Figure:
    """``x[i, j]`` of ``lattice.npz`` at column j (z[dims[0]] = grid[j]) and row i (z[dims[1]] = grid[i]).

    Rows are flipped so that larger values of ``dims[1]`` are at the top, as on a plot.
    """
    require(lattice, "x", "grid", "dims", source="lattice.npz")
    pixels = Pixels(lattice, ["x"], lead=2)
    grid = np.asarray(lattice["grid"], dtype=np.float64)
    grid_rows = np.asarray(lattice["grid_rows"], dtype=np.float64) if "grid_rows" in lattice else grid
    fitted = "center" in lattice  # a model without a prior: quantiles of a Gaussian fitted to its codes
    dims = np.asarray(lattice["dims"]).reshape(-1)
    if dims[0] == dims[1]:  # a 1-D latent space: rows and columns would walk the same line
        raise FigureNotApplicable("1-D latent space: a lattice needs two dimensions (the traversals figure "
                                  "walks the one)")
    tiles = pixels.tiles(lattice["x"])[::-1]  # (G, G, h, w, 3), row 0 = largest grid value
    rows, cols, h, w, _ = tiles.shape
    width, height = mosaic_size(rows, cols, h, w, tile_inches=min(pixels.tile_inches, 9.0 / max(rows, cols)))
    fig = new_figure(width + 1.0, height + 0.9)
    ax = fig.add_subplot()
    show_tiles(ax, tiles, row_labels=[fmt(v, 2) for v in grid_rows[::-1]], col_labels=[fmt(v, 2) for v in grid],
               max_col_labels=13, max_row_labels=13)
    ax.set_xlabel(f"{dim_name(dims[0])}  (other dimensions {'at the code mean' if fitted else '0'})")
    ax.set_ylabel(dim_name(dims[1]))
    where = "quantiles of a Gaussian fitted to the test codes" if fitted else "prior quantiles"
    ax.set_title(f"Decoded lattice over {dim_name(dims[0])} × {dim_name(dims[1])} at {where}")
    return fig
