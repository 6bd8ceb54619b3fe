"""Turn stored items (images or plain vectors) into RGB tiles, and tiles into one mosaic.

Every figure of decoded items goes through :class:`Pixels`: it reads ``event_shape``
and ``kind`` from the loaded arrays, fixes one value range for the whole figure
(``[0, 1]`` for binary/unit data, the figure's min/max for real data) and renders
each item as an RGB tile in ``[0, 1]``:

* ``(1, H, W)``, ``(H, W)`` or a flat ``(D,)`` with ``D = s * s``, ``s >= 8``: a grey image;
* ``(3, H, W)`` (or ``(4, H, W)``, alpha dropped): an RGB image;
* ``(C, H, W)`` with any other ``C``: the channels side by side, grey;
* ``(2,)``: a point glyph (the vector as a dot in a small square, crosshair at 0);
* any other vector of up to 128 values: a bar glyph (one bar per value from the zero line);
* longer vectors: wrapped into rows, grey.

Token data has no pixels: :func:`Pixels` raises :class:`FigureNotApplicable`.
:func:`mosaic` tiles a ``(rows, cols, h, w, 3)`` array into one image with 1-px gaps,
to be drawn with a single ``imshow``.
"""

from __future__ import annotations

import math
from typing import Mapping, NamedTuple

import numpy as np

from vaelab.plots.errors import TOKENS_REASON, FigureNotApplicable
from vaelab.plots.inputs import scalar_str
from vaelab.plots.style import dim_name, fmt

BACKGROUND = 1.0  # white, behind glyphs and in the gaps between tiles
GLYPH_COLOUR = np.array([0.23, 0.43, 0.66])  # bars and points
GUIDE_COLOUR = np.array([0.85, 0.85, 0.85])  # zero line and crosshair, lighter than tile separators
GLYPH_HEIGHT = 24  # pixels: the side of a point glyph, the least height of a bar glyph
MIN_IMAGE_SIDE = 8  # a flat vector of s*s values is shown as an image when s >= this
MAX_BARS = 128  # longer non-square vectors are wrapped into a grey image


def event_info(arrays: Mapping, key: str, lead: int) -> tuple[tuple[int, ...], str]:
    """``(event_shape, kind)`` of ``arrays[key]``, whose first ``lead`` axes index items.

    ``event_shape`` falls back to the array's trailing axes and ``kind`` to ``real``
    when the file does not say.
    """
    if "event_shape" in arrays:
        shape = tuple(int(s) for s in np.asarray(arrays["event_shape"]).reshape(-1))
    else:
        shape = tuple(np.shape(arrays[key])[lead:])
    return shape, scalar_str(arrays, "kind", "real")


def layout_of(event_shape: tuple[int, ...]) -> str:
    """How items of this shape are drawn: ``grey``, ``rgb``, ``channels``, ``point``, ``bars`` or ``wrap``."""
    if len(event_shape) == 3:
        if event_shape[0] == 1:
            return "grey"
        if event_shape[0] in (3, 4):
            return "rgb"
        return "channels"
    if len(event_shape) == 2:
        return "grey"
    size = int(np.prod(event_shape)) if event_shape else 1
    side = math.isqrt(size)
    if side * side == size and side >= MIN_IMAGE_SIDE:
        return "grey"
    if size == 2:
        return "point"
    return "bars" if size <= MAX_BARS else "wrap"


class Pixels:
    """Renders the items of one figure on one shared value scale.

    ``arrays`` is a loaded ``.npz``; ``keys`` name the item arrays of this figure
    (their value range is pooled); ``lead`` is how many leading axes index items.
    """

    def __init__(self, arrays: Mapping, keys: list[str] | tuple[str, ...], lead: int):
        self.event_shape, self.kind = event_info(arrays, keys[0], lead)
        if self.kind == "tokens":
            raise FigureNotApplicable(TOKENS_REASON)
        self.layout = layout_of(self.event_shape)
        self.lo, self.hi = self._value_range([arrays[k] for k in keys if k in arrays])

    @property
    def is_image(self) -> bool:
        """True when items are pictures (not glyphs of a vector)."""
        return self.layout in ("grey", "rgb", "channels", "wrap")

    @property
    def tile_inches(self) -> float:
        """A good size on the page for the longer side of one tile."""
        if self.layout == "channels":  # channels side by side: a wide tile
            return 0.55 * min(self.event_shape[0], 4)
        return 0.55 if self.is_image else 0.85

    def _value_range(self, xs: list[np.ndarray]) -> tuple[float, float]:
        if self.kind in ("binary", "unit"):
            return 0.0, 1.0
        finite = [np.asarray(x, dtype=np.float32) for x in xs]
        finite = [x[np.isfinite(x)] for x in finite]
        finite = [x for x in finite if x.size]
        if not finite:
            return 0.0, 1.0
        lo = float(min(x.min() for x in finite))
        hi = float(max(x.max() for x in finite))
        if self.layout in ("point", "bars"):  # glyphs grow from 0: keep it in range
            lo, hi = min(lo, 0.0), max(hi, 0.0)
        if hi - lo < 1e-12:
            lo, hi = lo - 0.5, hi + 0.5
        return lo, hi

    def scaled(self, x: np.ndarray) -> np.ndarray:
        """``x`` mapped to ``[0, 1]`` on this figure's scale (NaN becomes 0)."""
        x = np.asarray(x, dtype=np.float32)
        return np.nan_to_num(np.clip((x - self.lo) / (self.hi - self.lo), 0.0, 1.0))

    def tiles(self, x: np.ndarray) -> np.ndarray:
        """Items ``(*lead, *event_shape)`` as RGB tiles ``(*lead, h, w, 3)`` in ``[0, 1]``."""
        x = np.asarray(x)
        lead = x.shape[: x.ndim - len(self.event_shape)]
        flat = self.scaled(x).reshape((-1, *self.event_shape))  # (n, *event)
        render = {"grey": _grey, "rgb": _rgb, "channels": _channels, "point": _points,
                  "bars": _bars, "wrap": _wrap}[self.layout]
        out = render(flat, self._zero())
        return out.reshape((*lead, *out.shape[1:]))

    def _zero(self) -> float:
        """Where value 0 falls on the ``[0, 1]`` scale (the glyphs' baseline)."""
        return float(np.clip((0.0 - self.lo) / (self.hi - self.lo), 0.0, 1.0))


def _grey(x: np.ndarray, zero: float) -> np.ndarray:
    n = x.shape[0]
    size = int(np.prod(x.shape[1:]))
    if x.ndim == 2:  # flat square vectors
        side = math.isqrt(size)
        img = x.reshape(n, side, side)
    else:
        img = x.reshape(n, x.shape[-2], x.shape[-1])
    return np.repeat(img[..., None], 3, axis=-1)


def _rgb(x: np.ndarray, zero: float) -> np.ndarray:
    return np.moveaxis(x[:, :3], 1, -1)


def _channels(x: np.ndarray, zero: float) -> np.ndarray:
    n, c, h, w = x.shape
    img = np.moveaxis(x, 1, 2).reshape(n, h, c * w)  # channels side by side
    return np.repeat(img[..., None], 3, axis=-1)


def _wrap(x: np.ndarray, zero: float) -> np.ndarray:
    n = x.shape[0]
    flat = x.reshape(n, -1)
    width = math.ceil(math.sqrt(flat.shape[1]))
    rows = math.ceil(flat.shape[1] / width)
    padded = np.full((n, rows * width), BACKGROUND, dtype=np.float32)
    padded[:, : flat.shape[1]] = flat
    return np.repeat(padded.reshape(n, rows, width)[..., None], 3, axis=-1)


def _blank(n: int, h: int, w: int) -> np.ndarray:
    return np.full((n, h, w, 3), BACKGROUND, dtype=np.float32)


def _bars(x: np.ndarray, zero: float) -> np.ndarray:
    """One bar per value, from the zero line; bar width shrinks as the vector grows."""
    n = x.shape[0]
    v = x.reshape(n, -1)  # (n, D) in [0, 1]
    d = v.shape[1]
    bar = int(np.clip(round(48 / d), 1, 4))
    pad = 3  # blank pixels around the bars
    w = d * (bar + 1) - 1 + 2 * pad
    h = int(np.clip(round(0.6 * w), GLYPH_HEIGHT, 2 * GLYPH_HEIGHT))
    out = _blank(n, h, w)
    inner = h - 2 * pad
    y = np.full(h, -1.0)  # height of each pixel row in [0, 1], top row ~1; padding rows never inside
    y[pad: h - pad] = (inner - 0.5 - np.arange(inner)) / inner
    low, high = np.minimum(v, zero), np.maximum(v, zero)  # (n, D)
    # A pixel row is inside a bar when its height lies in [low, high]; at least the row nearest the value.
    half = 0.5 / inner
    inside = (y[None, :, None] >= low[:, None, :] - half) & (y[None, :, None] <= high[:, None, :] + half)
    zero_row = pad + int(np.clip(round((1 - zero) * inner - 0.5), 0, inner - 1))
    out[:, zero_row, pad - 1: w - pad + 1, :] = GUIDE_COLOUR
    for k in range(d):  # d <= MAX_BARS: a short loop over bars
        cols = slice(pad + k * (bar + 1), pad + k * (bar + 1) + bar)
        mask = inside[:, :, k]  # (n, h)
        out[:, :, cols, :][mask] = GLYPH_COLOUR
    return out


def _points(x: np.ndarray, zero: float) -> np.ndarray:
    """A 2-vector as a dot in a square (x right, y up), with a crosshair at the origin."""
    n = x.shape[0]
    s = GLYPH_HEIGHT
    out = _blank(n, s, s)
    z = int(np.clip(round(zero * (s - 1)), 0, s - 1))
    out[:, :, z, :] = GUIDE_COLOUR  # vertical line at x = 0
    out[:, s - 1 - z, :, :] = GUIDE_COLOUR  # horizontal line at y = 0
    col = np.clip(np.round(x[:, 0] * (s - 1)).astype(int), 1, s - 2)
    row = np.clip(np.round((1 - x[:, 1]) * (s - 1)).astype(int), 1, s - 2)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            out[np.arange(n), row + dr, col + dc] = GLYPH_COLOUR
    return out


def mosaic(tiles: np.ndarray, gap: int = 1, fill: float = BACKGROUND) -> np.ndarray:
    """Tile ``(rows, cols, h, w, 3)`` into one ``(rows*(h+gap)-gap, cols*(w+gap)-gap, 3)`` image."""
    rows, cols, h, w, c = tiles.shape
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap, c), fill, dtype=np.float32)
    for i in range(rows):
        for j in range(cols):
            out[i * (h + gap): i * (h + gap) + h, j * (w + gap): j * (w + gap) + w] = tiles[i, j]
    return out


def tile_centres(count: int, size: int, gap: int = 1) -> np.ndarray:
    """Pixel coordinates of the centres of ``count`` tiles of ``size`` along one mosaic axis."""
    return np.arange(count) * (size + gap) + (size - 1) / 2


def grid_of(tiles: np.ndarray, cols: int) -> np.ndarray:
    """Items ``(n, h, w, 3)`` laid out row by row into ``(rows, cols, h, w, 3)``, blanks at the end."""
    n, h, w, c = tiles.shape
    rows = max(1, math.ceil(n / cols))
    out = np.full((rows * cols, h, w, c), BACKGROUND, dtype=np.float32)
    out[:n] = tiles
    return out.reshape(rows, cols, h, w, c)


def column_subsample(count: int, wanted: int) -> np.ndarray:
    """About ``wanted`` evenly spaced indices into ``range(count)``, first and last included."""
    if count <= wanted:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, max(wanted, 2)).round().astype(int))


class TraversalGrid(NamedTuple):
    """What a traversal figure shows of its arrays: the kept columns and rows, and how to label them."""

    values: np.ndarray  # (S,) every latent value of the file
    dims: np.ndarray  # (R_all,) the traversed dimensions, most active first
    keep: np.ndarray  # indices of the columns drawn
    rows: int  # rows drawn (the first ones)
    row_labels: list[str]  # "z7  A=1.23"
    col_labels: list[str]  # the kept latent values


def traversal_grid(arrays, columns: int, max_rows: int) -> TraversalGrid:
    """Rows (the first ``max_rows``) and about ``columns`` evenly spaced columns of a traversal file, labelled."""
    values = np.asarray(arrays["values"], dtype=np.float64)
    dims = np.asarray(arrays["dims"]).reshape(-1)
    activity = np.asarray(arrays.get("activity", np.full(len(dims), np.nan)), dtype=np.float64)
    keep = column_subsample(len(values), columns)
    rows = min(len(dims), max_rows)
    row_labels = [dim_name(dims[r]) + (f"  A={fmt(activity[r])}" if np.isfinite(activity[r]) else "")
                  for r in range(rows)]
    return TraversalGrid(values, dims, keep, rows, row_labels, [fmt(v, 2) for v in values[keep]])
