"""``molecule-map``: test molecules at their projected latent positions, with drawings of some of them.

The molecule article's figure (Cho, figures 1 and 2): the 2-D projection of a
molecule VAE's latent space with molecules drawn where they lie. Every test molecule
of ``molecule_map.npz`` is a point coloured by a property; a subset is drawn with
RDKit, each drawing beside its point with a thin leader line. The subset is chosen
so that drawings never overlap each other, never cover a drawn molecule's point, and
spread over the occupied part of the map (:func:`place_drawings`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.offsetbox import AnnotationBbox, OffsetImage

from vaelab.plots.errors import FigureNotApplicable
from vaelab.plots.inputs import require, scalar_str
from vaelab.plots.molecules import INVALID_COLOUR, molecule_pictures, property_label, require_tokens, strings
from vaelab.plots.projection import project
from vaelab.plots.scatter import point_size
from vaelab.plots.style import DPI, new_figure, styled

AXES_INCHES = (8.0, 6.8)  # the map itself; the figure adds margins, title and colour bar
MARGIN = (0.75, 0.6, 1.15, 0.55)  # inches left, bottom, right (colour bar), top (title)
POINT_COLOUR = "#7f8c9d"  # points when there is no property to colour by
RINGS = (1.0, 1.8, 2.7)  # how far from its point a drawing may sit, in half box sizes beyond the first ring


class Placements(NamedTuple):
    """Drawings chosen by :func:`place_drawings`: point ``index`` (K,) and box ``centre`` (K, 2), in order."""

    index: np.ndarray
    centre: np.ndarray


def place_drawings(points: np.ndarray, box: tuple[float, float], area: tuple[float, float, float, float],
                   max_boxes: int, gap: float = 0.05) -> Placements:
    """Pick up to ``max_boxes`` points and a box position for each, greedily, with no two boxes overlapping.

    ``points`` (N, 2), ``box`` (width, height) and ``area`` (x0, y0, x1, y1) share one
    unit (inches on the page, so boxes keep their shape). Candidates are the points
    nearest the centres of a grid of box-sized cells, busiest cell first, so drawings
    go where the data is and spread over it. Each candidate's box is tried at rings of
    positions around its point (8 directions, nearest ring first) and put where it
    lies inside ``area``, keeps ``gap`` from every earlier box, covers no earlier
    candidate's point and the fewest other points; a candidate whose point an earlier
    box covers, or that fits nowhere, is left out.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    w, h = float(box[0]), float(box[1])
    x0, y0, x1, y1 = (float(v) for v in area)
    if len(pts) == 0 or max_boxes <= 0:
        return Placements(np.zeros(0, np.int64), np.zeros((0, 2)))
    half = np.array([w / 2, h / 2])
    centres: list[np.ndarray] = []
    chosen: list[int] = []
    for i in _candidates(pts, w, h, x0, y0):
        if len(chosen) >= max_boxes:
            break
        anchor = pts[i]
        if any(np.all(np.abs(anchor - c) < half + gap) for c in centres):  # an earlier box hides this point
            continue
        spot = _best_spot(anchor, pts, np.asarray(centres).reshape(-1, 2), pts[chosen].reshape(-1, 2),
                          half, gap, (x0, y0, x1, y1))
        if spot is not None:
            chosen.append(int(i))
            centres.append(spot)
    return Placements(np.asarray(chosen, dtype=np.int64), np.asarray(centres, dtype=np.float64).reshape(-1, 2))


def _candidates(pts: np.ndarray, w: float, h: float, x0: float, y0: float) -> list[int]:
    """Per box-sized grid cell the point nearest its centre; cells with more points first."""
    cell = np.floor((pts - [x0, y0]) / [w, h]).astype(np.int64)  # (N, 2)
    centre = (cell + 0.5) * [w, h] + [x0, y0]
    dist = np.hypot(*(pts - centre).T)
    keys = cell[:, 0] * 1_000_003 + cell[:, 1]
    order = np.lexsort((dist, keys))  # by cell, nearest first
    first = order[np.r_[True, keys[order][1:] != keys[order][:-1]]]
    counts = np.bincount(np.unique(keys, return_inverse=True)[1])
    count_of = dict(zip(np.unique(keys).tolist(), counts.tolist()))
    return sorted(first.tolist(), key=lambda i: (-count_of[int(keys[i])], int(keys[i])))


def _best_spot(anchor, pts, centres, anchors, half, gap, area):
    """The box centre for one point, or None if none fits.

    Allowed spots lie inside ``area``, keep ``gap`` from earlier boxes and cover no
    earlier point; among them, the best has no leader line crossing a box (its own
    line through earlier boxes, or its box over earlier lines), then the least cost:
    points covered, plus a price per ring outwards (1% of the points, at least 3), so
    a drawing moves out of a dense cloud rather than hide it, but not far for a few points.
    """
    x0, y0, x1, y1 = area
    directions = np.array([(1, 1), (1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1), (0, 1)], dtype=np.float64)
    best, best_key = None, None
    ring_price = max(3.0, 0.01 * len(pts))
    for r, ring in enumerate(RINGS):
        spots = anchor + directions * (half * ring + gap)  # (8, 2): each box edge at least ``gap`` from its point
        ok = ((spots - half >= [x0, y0]) & (spots + half <= [x1, y1])).all(1)
        if len(centres):
            ok &= (np.abs(spots[:, None, :] - centres[None, :, :]) >= 2 * half + gap).any(2).all(1)
            ok &= ~(np.abs(spots[:, None, :] - anchors[None, :, :]) < half + gap).all(2).any(1)
        for j in np.flatnonzero(ok):
            crossing = any(_crosses(anchor, spots[j], c - half, c + half) for c in centres) or any(
                _crosses(a, c, spots[j] - half, spots[j] + half) for a, c in zip(anchors, centres))
            covered = int((np.abs(pts - spots[j]) < half).all(1).sum())
            key = (crossing, covered + r * ring_price)
            if best_key is None or key < best_key:
                best, best_key = spots[j], key
        if best_key is not None and not best_key[0] and best_key[1] <= (r + 1) * ring_price:
            break  # no spot farther out can cost less
    return best


def _crosses(p0: np.ndarray, p1: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> bool:
    """Whether the segment p0 -> p1 passes through the box [lo, hi] (Liang-Barsky clipping)."""
    t0, t1 = 0.0, 1.0
    for axis in (0, 1):
        d = p1[axis] - p0[axis]
        if abs(d) < 1e-12:
            if not lo[axis] <= p0[axis] <= hi[axis]:
                return False
            continue
        a, b = (lo[axis] - p0[axis]) / d, (hi[axis] - p0[axis]) / d
        t0, t1 = max(t0, min(a, b)), min(t1, max(a, b))
        if t0 > t1:
            return False
    return True


def _limits(xy: np.ndarray, equal: bool) -> tuple[tuple[float, float], tuple[float, float]]:
    """Data limits with a margin; for ``equal`` one data unit is as long in x as in y on the page."""
    lo, hi = xy.min(0), xy.max(0)
    span = np.maximum(hi - lo, 1e-9)
    lo, hi = lo - 0.06 * span, hi + 0.06 * span
    if equal:
        per_inch = max((hi[0] - lo[0]) / AXES_INCHES[0], (hi[1] - lo[1]) / AXES_INCHES[1])
        mid, need = (lo + hi) / 2, np.array(AXES_INCHES) * per_inch / 2
        lo, hi = mid - need, mid + need
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


def _colouring(molecule_map: dict, colour_by: str | None) -> tuple[np.ndarray | None, str]:
    """The property values (N,) to colour by, and their label; (None, "") when there are none."""
    names = strings(molecule_map, "property_names").tolist() if "property_names" in molecule_map else []
    if not names:
        if colour_by:
            raise ValueError(f"colour_by={colour_by!r}: this molecule map holds no properties")
        return None, ""
    name = colour_by or scalar_str(molecule_map, "colour_by", names[0]) or names[0]
    if name not in names:
        raise ValueError(f"colour_by={name!r}: choose one of {', '.join(names)}")
    j = names.index(name)
    units = strings(molecule_map, "property_units").tolist() if "property_units" in molecule_map else []
    values = np.asarray(molecule_map["properties"], dtype=np.float64)[:, j]
    return values, property_label(name, units[j] if j < len(units) else "")


@styled
def draw_molecule_map(molecule_map: dict, projection: str = "pca", colour_by: str | None = None,
                      molecules: int = 24, show: str = "data", seed: int = 0, tile_inches: float = 0.95) -> Figure:
    """The test molecules' posterior means in 2-D, coloured by a property, with ``molecules`` drawings.

    ``projection`` is ``pca`` or ``tsne`` (2-D codes are drawn directly); ``colour_by``
    names a property of the file (default: its ``colour_by``, the dataset's score or
    logP); ``show="data"`` draws the test molecules themselves, ``"decoded"`` what
    their posterior means decode to (red frame: not a valid molecule).
    """
    require_tokens(molecule_map, "molecule_map.npz")
    require(molecule_map, "mu", "smiles", source="molecule_map.npz")
    if show not in ("data", "decoded"):
        raise ValueError(f"show={show!r}: choose data or decoded")
    mu = np.asarray(molecule_map["mu"], dtype=np.float64)
    if len(mu) == 0:
        raise FigureNotApplicable("molecule_map.npz holds no molecules")
    values, label = _colouring(molecule_map, colour_by)
    proj = project(mu, projection, seed=seed)
    xy = proj.coords
    values = None if values is None else values[proj.index]
    key = "smiles" if show == "data" else "decoded"
    require(molecule_map, key, source="molecule_map.npz")
    texts = strings(molecule_map, key)[proj.index]
    valid = (np.ones(len(texts), bool) if show == "data"
             else np.asarray(molecule_map.get("decoded_valid", np.ones(len(texts), bool)), bool)[proj.index])

    left, bottom, right, top = MARGIN
    aw, ah = AXES_INCHES
    fig = new_figure(left + aw + right, bottom + ah + top)
    fig.set_layout_engine("none")  # fixed axes: drawings are placed in inches on the page
    fw, fh = fig.get_size_inches()
    ax = fig.add_axes((left / fw, bottom / fh, aw / fw, ah / fh))
    xlim, ylim = _limits(xy, equal=proj.method in ("direct", "PCA"))
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)

    cmap = colormaps["viridis"]
    finite = values is not None and np.isfinite(values).any()
    norm = Normalize(*np.nanpercentile(values, [1, 99])) if finite else None
    order = np.random.default_rng(seed + 1).permutation(len(xy))
    colours = cmap(norm(values[order])) if finite else POINT_COLOUR
    if finite:
        colours[~np.isfinite(values[order])] = (0.75, 0.75, 0.75, 1.0)
    ax.scatter(xy[order, 0], xy[order, 1], s=point_size(len(xy)), c=colours, linewidths=0, alpha=0.8,
               rasterized=True, zorder=1)
    if finite:
        from matplotlib.cm import ScalarMappable

        cax = fig.add_axes(((left + aw + 0.25) / fw, bottom / fh, 0.17 / fw, ah / fh))
        fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=cax, label=label, extend="both")

    inches = (xy - [xlim[0], ylim[0]]) / [xlim[1] - xlim[0], ylim[1] - ylim[0]] * [aw, ah]
    picks = place_drawings(inches, (tile_inches, tile_inches), (0.0, 0.0, aw, ah), molecules)
    _draw_molecules(ax, picks, xy, inches, texts, valid, values, cmap, norm, tile_inches, xlim, ylim)

    d = mu.shape[1]
    how = {"direct": "2-D codes", "1-D": "1-D codes"}.get(proj.method, f"{proj.method} of {d}-D codes")
    n_test = int(np.asarray(molecule_map.get("n_test", len(mu))).item())
    of = f" (of {n_test:,})" if n_test > len(xy) else ""
    what = "test molecules" if show == "data" else "decoded posterior means"
    ax.set_title(f"Latent space: {len(xy):,} test molecules{of}, {how}\n"
                 f"{len(picks.index)} drawn ({what}) beside their points", loc="left")
    ax.set_xlabel(proj.xlabel)
    ax.set_ylabel(proj.ylabel)
    return fig


def _draw_molecules(ax, picks: Placements, xy, inches, texts, valid, values, cmap, norm, tile_inches,
                    xlim, ylim) -> None:
    """The chosen drawings at their boxes, each with a leader line to its ringed point."""
    if not len(picks.index):
        return
    px = int(round(2 * tile_inches * DPI))  # drawn at twice the saved resolution, resampled smoothly
    pics = molecule_pictures([texts[i] for i in picks.index], px)
    to_data = lambda p: (xlim[0] + p[0] / AXES_INCHES[0] * (xlim[1] - xlim[0]),  # noqa: E731
                         ylim[0] + p[1] / AXES_INCHES[1] * (ylim[1] - ylim[0]))
    for k, (i, centre) in enumerate(zip(picks.index, picks.centre)):
        ok = bool(valid[i])
        edge = INVALID_COLOUR if not ok else (cmap(norm(values[i])) if norm is not None and np.isfinite(values[i])
                                              else "0.35")
        image = OffsetImage(pics[k], zoom=tile_inches * 72 / px, interpolation="antialiased", resample=True)
        box = AnnotationBbox(image, xy=tuple(xy[i]), xybox=to_data(centre), xycoords="data", boxcoords="data",
                             pad=0.0, frameon=True, box_alignment=(0.5, 0.5), zorder=5,
                             bboxprops={"edgecolor": edge, "linewidth": 1.6, "boxstyle": "square,pad=0.0"},
                             arrowprops={"arrowstyle": "-", "color": "0.25", "linewidth": 0.7,
                                         "shrinkA": 0, "shrinkB": 2.5})
        ax.add_artist(box)
    chosen = xy[picks.index]
    ax.scatter(chosen[:, 0], chosen[:, 1], s=22, facecolors="none", edgecolors="black", linewidths=0.9, zorder=4)
