"""``activity``: per-dimension activity A_u and KL, from ``diagnostics.json``."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, MultipleLocator

from vaelab.plots.errors import FigureNotApplicable
from vaelab.plots.style import ACTIVE_COLOUR, COLLAPSED_COLOUR, KL_COLOUR, fmt, new_figure, styled

FLOOR_FACTOR = 1e-3  # values below threshold * this are drawn at that floor on the log axis


@styled
def draw_activity(diagnostics: dict) -> Figure:
    """Bars of ``activity_per_dim`` (log scale, active vs collapsed, threshold line) and ``kl_per_dim``.

    The title gives AU = k/d. Values at or below the floor (0 included) are drawn at
    the floor, and a note says how many.
    """
    if "activity_per_dim" not in diagnostics:
        raise FigureNotApplicable("diagnostics.json has no activity_per_dim (run vaelab evaluate)")
    activity = np.asarray(diagnostics["activity_per_dim"], dtype=np.float64)
    threshold = float(diagnostics.get("au_threshold", 0.01))
    kl = diagnostics.get("kl_per_dim")
    kl = None if kl is None else np.asarray(kl, dtype=np.float64)
    d = len(activity)
    active = activity > threshold
    au = int(diagnostics.get("au", active.sum()))

    fig = new_figure(min(14.0, max(6.0, 0.22 * d + 2.5)), 5.6 if kl is not None else 3.4)
    axes = fig.subplots(2 if kl is not None else 1, 1, sharex=True, squeeze=False)[:, 0]
    dims = np.arange(d)
    colours = np.where(active, ACTIVE_COLOUR, COLLAPSED_COLOUR)
    floor = threshold * FLOOR_FACTOR
    clipped = _log_bars(axes[0], dims, activity, floor, colours)
    axes[0].axhline(threshold, ls="--", color="black", lw=1.0)
    axes[0].set_ylabel(r"activity $A_u = \mathrm{Var}_x\,\mathbb{E}_q[z_u|x]$")
    handles = [Patch(color=ACTIVE_COLOUR, label="active"), Patch(color=COLLAPSED_COLOUR, label="collapsed"),
               axes[0].lines[-1]]
    axes[0].lines[-1].set_label(f"active if A_u > {fmt(threshold)}")
    axes[0].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    if clipped:
        axes[0].annotate(f"{clipped} value{'s' if clipped > 1 else ''} ≤ {fmt(floor)} drawn at the floor",
                         xy=(1.01, 0.0), xycoords="axes fraction", fontsize=7, color="0.35", va="bottom")
    if kl is not None:
        kl_clipped = _log_bars(axes[1], dims, kl, floor, KL_COLOUR)
        axes[1].set_ylabel("KL per dimension (nats)")
        note = f"total {fmt(kl.sum())} nats"
        if kl_clipped:
            note += f"; {kl_clipped} ≤ {fmt(floor)} at the floor"
        axes[1].legend(handles=[Patch(color=KL_COLOUR, label=note)], loc="upper left",
                       bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    axes[-1].set_xlabel("latent dimension")
    axes[-1].xaxis.set_major_locator(MultipleLocator(1) if d <= 32 else MaxNLocator(integer=True, nbins=20))
    axes[-1].set_xlim(-0.7, d - 0.3)
    axes[0].set_title(f"Active units: AU = {au}/{d}")
    return fig


def _log_bars(ax: Axes, x: np.ndarray, values: np.ndarray, floor: float, colour) -> int:
    """Bars on a log axis, values clipped up to ``floor``; returns how many were clipped."""
    finite = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
    shown = np.maximum(finite, floor)
    ax.bar(x, shown - floor * 0.5, bottom=floor * 0.5, color=colour, width=0.8)
    ax.set_yscale("log")
    top = max(float(shown.max()) if len(shown) else 1.0, floor * 10)
    ax.set_ylim(floor * 0.5, top * 3)
    ax.grid(True, axis="y", which="major")
    ax.set_axisbelow(True)
    return int((finite <= floor).sum())
