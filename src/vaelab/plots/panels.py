"""Draw a mosaic of tiles on an axes, with labels at tile rows and columns; size figures to fit."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection

from vaelab.plots.images import mosaic, tile_centres

TILE_INCHES = 0.55  # the longer side of one tile on the page


def show_tiles(ax: Axes, tiles: np.ndarray, row_labels: Sequence[str] | None = None,
               col_labels: Sequence[str] | None = None, cols_on_top: bool = False,
               max_col_labels: int = 12, max_row_labels: int = 40) -> None:
    """Draw ``(rows, cols, h, w, 3)`` tiles as one crisp image; label rows and columns if given.

    Labels sit at tile centres; when there are more than ``max_*_labels`` tiles along an
    axis only every k-th is labelled so that labels never overlap. Without labels the
    axis is hidden. Tiles are separated by thin lines drawn over their shared edges
    (rather than by gap pixels, which resampling would draw 2 or 3 pixels wide at random).
    """
    rows, cols, h, w, _ = tiles.shape
    ax.imshow(mosaic(tiles, gap=0), interpolation="nearest", aspect="equal")
    _separators(ax, rows, cols, h, w, colour="white" if float(tiles.mean()) < 0.5 else "0.5")
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    _label_axis(ax.xaxis, tile_centres(cols, w, gap=0), col_labels, max_col_labels)
    _label_axis(ax.yaxis, tile_centres(rows, h, gap=0), row_labels, max_row_labels)
    ax.tick_params(length=0, pad=2)
    if cols_on_top:
        ax.xaxis.set_ticks_position("top")
        ax.xaxis.set_label_position("top")


def _separators(ax: Axes, rows: int, cols: int, h: int, w: int, colour) -> None:
    """Lines of one width along the inner edges between tiles."""
    xs = np.arange(1, cols) * w - 0.5
    ys = np.arange(1, rows) * h - 0.5
    top, bottom, left, right = -0.5, rows * h - 0.5, -0.5, cols * w - 0.5
    segments = [[(x, top), (x, bottom)] for x in xs] + [[(left, y), (right, y)] for y in ys]
    if segments:
        ax.add_collection(LineCollection(segments, colors=colour, linewidths=1.0, antialiased=True))
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)


def _label_axis(axis, centres: np.ndarray, labels: Sequence[str] | None, most: int) -> None:
    if labels is None:
        axis.set_ticks([])
        return
    step = max(1, int(np.ceil(len(centres) / most)))
    keep = np.arange(0, len(centres), step)
    axis.set_ticks(centres[keep])
    axis.set_ticklabels([labels[i] for i in keep])


def mosaic_size(rows: int, cols: int, h: int, w: int, tile_inches: float = TILE_INCHES) -> tuple[float, float]:
    """Inches ``(width, height)`` of a mosaic whose longer tile side is ``tile_inches``."""
    per_px = tile_inches / max(h, w)
    return cols * w * per_px, rows * h * per_px
