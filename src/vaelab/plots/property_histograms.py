"""``property-histograms``: RDKit properties of decoded samples against the training molecules.

The molecule article's diagnosis (Cho) was that a ZINC model's prior samples were
"mostly simple carbon chains" although its losses looked fine; these histograms show
that at a glance: samples whose logP, QED and SA score sit far from the training
distribution. Only valid samples have properties; the title says how many there are.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from vaelab.plots.inputs import require, scalar_str
from vaelab.plots.molecules import property_label, require_tokens, strings
from vaelab.plots.style import TRAIN_COLOUR, new_figure, styled

SAMPLE_COLOUR = "#e6550d"


def _bins(a: np.ndarray, b: np.ndarray, bins: int) -> np.ndarray:
    """Shared bin edges over the finite values of both (a unit range around a single value)."""
    both = np.concatenate([a[np.isfinite(a)], b[np.isfinite(b)]])
    if both.size == 0:
        return np.linspace(0, 1, bins + 1)
    lo, hi = float(both.min()), float(both.max())
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    return np.linspace(lo, hi, bins + 1)


@styled
def draw_property_histograms(property_histograms: dict, bins: int = 30) -> Figure:
    """One panel per property: training molecules (filled) and valid decoded samples (outline), as densities."""
    arrays = property_histograms
    require_tokens(arrays, "property_histograms.npz")
    require(arrays, "names", "samples", "train", "valid", source="property_histograms.npz")
    names = strings(arrays, "names").tolist()
    samples = np.asarray(arrays["samples"], dtype=np.float64).reshape(-1, len(names))
    train = np.asarray(arrays["train"], dtype=np.float64).reshape(-1, len(names))
    valid = np.asarray(arrays["valid"], dtype=bool)
    fig = new_figure(3.6 * len(names) + 0.4, 3.5)
    axes = fig.subplots(1, len(names), squeeze=False).ravel()
    for j, (ax, name) in enumerate(zip(axes, names)):
        s, tr = samples[:, j][np.isfinite(samples[:, j])], train[:, j][np.isfinite(train[:, j])]
        edges = _bins(s, tr, bins)
        if tr.size:
            ax.hist(tr, bins=edges, density=True, color=TRAIN_COLOUR, alpha=0.35,
                    label=f"training (mean {tr.mean():.2f})")
        if s.size:
            ax.hist(s, bins=edges, density=True, histtype="step", color=SAMPLE_COLOUR, linewidth=1.6,
                    label=f"samples (mean {s.mean():.2f})")
        else:
            ax.text(0.5, 0.5, "no valid samples", transform=ax.transAxes, ha="center", va="center", color="0.4")
        ax.set_xlabel(property_label(name))
        ax.set_ylabel("density" if j == 0 else "")
        ax.set_title(property_label(name))
        ax.legend(loc="best", frameon=True, framealpha=0.85, edgecolor="none")
    sampler = scalar_str(arrays, "sampler", "prior")
    n, k = valid.size, int(valid.sum())
    share = f"{k / n:.1%}" if n else "n/a"
    n_train = int(np.asarray(arrays.get("n_train", len(train))).item())
    of = f" of {n_train:,}" if n_train > len(train) else ""
    fig.suptitle(f"Properties of decoded samples ({sampler}) vs training molecules\n"
                 f"valid samples: {k:,} of {n:,} ({share}); {len(train):,}{of} training molecules")
    return fig
