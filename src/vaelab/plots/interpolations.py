"""``interpolations``: decoded paths between codes: linear, spherical, and out from the origin."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from vaelab.plots.images import Pixels, column_subsample
from vaelab.plots.inputs import require
from vaelab.plots.panels import mosaic_size, show_tiles
from vaelab.plots.style import dim_name, fmt, new_figure, styled

PANELS = ("linear", "spherical", "origin", "origin_masked")


def panel_title(key: str, interpolations: dict) -> str:
    """What one panel shows, in words."""
    radius = fmt(np.asarray(interpolations["radius"]).item()) if "radius" in interpolations else "r"
    if key == "linear":
        return "linear, between pairs of test codes"
    if key == "spherical":
        return "spherical (slerp), between pairs of test codes"
    if key == "origin":
        return f"origin → random point at radius {radius}"
    masked = np.asarray(interpolations.get("masked_dims", [])).reshape(-1)
    names = ", ".join(dim_name(i) for i in masked[:6]) + (", …" if len(masked) > 6 else "")
    return f"origin → radius {radius}, {len(masked)} most active held at 0 ({names})"


@styled
def draw_interpolations(interpolations: dict, columns: int = 10, max_paths: int = 8) -> Figure:
    """One panel per path kind in ``interpolations.npz`` present: ``max_paths`` rows × ~``columns`` steps.

    Panels share one value scale; columns are labelled with the step ``t``.
    """
    require(interpolations, "t", source="interpolations.npz")
    keys = [k for k in PANELS if k in interpolations]
    require(interpolations, *(keys or ["linear"]), source="interpolations.npz")
    pixels = Pixels(interpolations, keys, lead=2)
    t = np.asarray(interpolations["t"], dtype=np.float64)
    keep = column_subsample(len(t), columns)
    panels = [pixels.tiles(np.asarray(interpolations[k])[:max_paths][:, keep]) for k in keys]
    rows, cols, h, w = panels[0].shape[:4]
    width, height = mosaic_size(rows, cols, h, w, tile_inches=0.8 * pixels.tile_inches)
    ncols = 2 if len(panels) > 1 else 1
    nrows = int(np.ceil(len(panels) / ncols))
    fig = new_figure(ncols * (width + 0.5), nrows * (height + 0.8) + 0.4)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, key, tiles in zip(axes, keys, panels):
        show_tiles(ax, tiles, col_labels=[fmt(v, 2) for v in t[keep]], max_col_labels=len(keep))
        ax.set_title(panel_title(key, interpolations), fontsize=9)
        ax.set_xlabel("t")
        ax.set_ylabel("path")
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    fig.suptitle(f"Interpolations in latent space, decoded ({rows} paths each)")
    return fig
