"""``bubbles``: one ellipse μ ± σ per example on two latent dimensions, with the prior's unit circle."""

from __future__ import annotations

import numpy as np
from matplotlib.collections import EllipseCollection
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Circle

from vaelab.plots.errors import FigureNotApplicable
from vaelab.plots.inputs import require, scalar_str
from vaelab.plots.labels import LabelColours
from vaelab.plots.style import dim_name, fmt, new_figure, styled


def most_active_dims(mu: np.ndarray, k: int = 2) -> tuple[int, ...]:
    """The ``k`` dimensions with the largest variance of ``mu`` over examples, most active first."""
    var = np.var(np.asarray(mu, dtype=np.float64), axis=0)
    return tuple(int(i) for i in np.argsort(-var, kind="stable")[:k])


@styled
def draw_bubbles(posterior: dict, dims: tuple[int, int] | None = None, split: str = "test", seed: int = 0,
                 max_bubbles: int = 1000) -> Figure:
    """Ellipses with centre μ and semi-axes σ on ``dims`` (default: the two most active).

    Needs ``logvar`` (absent for deterministic encoders). Draws at most ``max_bubbles``
    random examples, coloured by label, and the prior's unit circle (dashed black).
    """
    source = f"posterior_{split}.npz"
    require(posterior, "mu", source=source)
    if "logvar" not in posterior:
        raise FigureNotApplicable("deterministic encoder")
    mu = np.asarray(posterior["mu"], dtype=np.float64)
    sigma = np.exp(0.5 * np.asarray(posterior["logvar"], dtype=np.float64))
    d = mu.shape[1]
    if d < 2:
        raise FigureNotApplicable("1-D latent space: bubbles need two dimensions")
    a, b = most_active_dims(mu) if dims is None else (int(dims[0]), int(dims[1]))
    if not (0 <= a < d and 0 <= b < d) or a == b:
        raise ValueError(f"dims={dims!r}: need two different latent dimensions in 0..{d - 1}")
    rng = np.random.default_rng(seed)
    index = rng.permutation(len(mu))[:max_bubbles]
    centres, radii = mu[index][:, [a, b]], sigma[index][:, [a, b]]
    labels = posterior.get("labels")
    colours = LabelColours(labels, scalar_str(posterior, "label_name", "label"))
    point_labels = None if labels is None else np.asarray(labels)[index]

    lo, hi = _limits(centres, radii)
    aspect = float(np.clip((hi[1] - lo[1]) / (hi[0] - lo[0]), 0.4, 1.6))
    fig = new_figure(6.4 if colours.labelled else 5.6, 4.6 * aspect + 1.1)
    ax = fig.add_subplot()
    face = colours.colours(point_labels, alpha=0.12)
    edge = colours.colours(point_labels, alpha=0.45)
    ax.add_collection(EllipseCollection(2 * radii[:, 0], 2 * radii[:, 1], np.zeros(len(index)), units="xy",
                                        offsets=centres, offset_transform=ax.transData, facecolors=face,
                                        edgecolors=edge, linewidths=0.5))
    ax.add_patch(Circle((0, 0), 1.0, fill=False, ls="--", lw=1.3, color="black", zorder=3))
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal", adjustable="box")
    ax.grid(True)
    ax.set_axisbelow(True)
    ax.set_xlabel(f"{dim_name(a)}  (var of μ = {fmt(np.var(mu[:, a]))})")
    ax.set_ylabel(f"{dim_name(b)}  (var of μ = {fmt(np.var(mu[:, b]))})")
    shown = f"{len(index):,} of {len(mu):,}" if len(index) < len(mu) else f"{len(mu):,}"
    chosen = ", the two most active dimensions" if dims is None and d > 2 else ""
    ax.set_title(f"Posterior bubbles μ ± σ\n{split} split, {shown} examples{chosen}")
    _add_keys(ax, colours)
    return fig


def _add_keys(ax, colours: LabelColours) -> None:
    """The label legend (or colourbar) and an entry for the prior's unit circle."""
    prior = Line2D([], [], ls="--", color="black", lw=1.3, label="prior N(0, I): unit circle")
    colours.add_key(ax, style="patch")
    # A second ax.legend() would replace the label legend: add the prior's as a plain artist.
    ax.add_artist(Legend(ax, [prior], [prior.get_label()], loc="upper right", frameon=True, framealpha=0.85,
                         edgecolor="0.8"))


def _limits(centres: np.ndarray, radii: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper (x, y) limits that hold every ellipse and the unit circle, with a small margin."""
    lo = np.minimum((centres - radii).min(axis=0), -1.0)
    hi = np.maximum((centres + radii).max(axis=0), 1.0)
    pad = 0.05 * (hi - lo)
    return lo - pad, hi + pad
