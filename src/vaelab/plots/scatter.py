"""``latent-scatter``: the test codes' posterior means, coloured by label."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from vaelab.plots.inputs import require, scalar_str
from vaelab.plots.labels import LabelColours
from vaelab.plots.projection import project
from vaelab.plots.style import new_figure, styled


def point_size(n: int) -> float:
    """Marker area for n points: large for a few, small for many."""
    return float(np.clip(3000.0 / max(n, 1), 1.5, 25.0))


@styled
def draw_latent_scatter(posterior: dict, projection: str = "pca", split: str = "test", seed: int = 0,
                        max_points: int = 10000) -> Figure:
    """Scatter of ``mu`` from ``posterior_<split>.npz``, coloured by ``labels`` when present.

    2-D codes are drawn directly; higher dimensions are projected with ``projection``
    (``pca`` or ``tsne``; t-SNE uses at most 3,000 random points). At most
    ``max_points`` points are drawn, in random order so no class hides another.
    """
    require(posterior, "mu", source=f"posterior_{split}.npz")
    mu = np.asarray(posterior["mu"], dtype=np.float64)
    labels = posterior.get("labels")
    colours = LabelColours(labels, scalar_str(posterior, "label_name", "label"))
    proj = project(mu, projection, seed=seed, max_points=max_points)
    order = np.random.default_rng(seed + 1).permutation(len(proj.index))
    xy = proj.coords[order]
    point_labels = None if labels is None else np.asarray(labels)[proj.index][order]

    fig = new_figure(6.4 if colours.labelled else 5.6, 5.0)
    ax = fig.add_subplot()
    ax.scatter(xy[:, 0], xy[:, 1], s=point_size(len(xy)), c=colours.colours(point_labels, alpha=0.75),
               linewidths=0, rasterized=True)
    d = mu.shape[1]
    how = {"direct": "", "1-D": ", 1-D codes"}.get(proj.method, f", {proj.method} of {d}-D codes")
    shown = f", {len(xy):,} of {len(mu):,} points" if len(xy) < len(mu) else f", {len(mu):,} points"
    ax.set_title(f"Posterior means μ ({split} split{how}{shown})")
    ax.set_xlabel(proj.xlabel)
    ax.set_ylabel(proj.ylabel)
    if proj.method in ("direct", "PCA"):
        ax.set_aspect("equal", adjustable="datalim")
    ax.grid(True)
    ax.set_axisbelow(True)
    colours.add_key(ax)
    return fig
