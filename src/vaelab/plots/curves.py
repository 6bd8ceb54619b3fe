"""``curves``: loss, reconstruction, KL and active units per epoch, from ``metrics.jsonl``."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from vaelab.plots.errors import FigureNotApplicable
from vaelab.plots.inputs import number_series
from vaelab.plots.style import BETA_COLOUR, TRAIN_COLOUR, VALID_COLOUR, fmt, new_figure, styled

#: (panel title, y label, [(metrics key, legend label, colour, line style)])
PANELS = (
    ("Loss", "nats per example", [("train_loss", "train", TRAIN_COLOUR, "-"),
                                  ("valid_loss", "valid", VALID_COLOUR, "-"),
                                  ("valid_neg_elbo", "valid −ELBO", VALID_COLOUR, ":")]),
    ("Reconstruction", "−log p(x|z), nats", [("train_rec", "train", TRAIN_COLOUR, "-"),
                                             ("valid_rec", "valid", VALID_COLOUR, "-")]),
    ("KL(q(z|x) ‖ p(z))", "nats", [("train_kl", "train", TRAIN_COLOUR, "-"),
                                   ("valid_kl", "valid", VALID_COLOUR, "-")]),
    ("Active units", "AU (valid)", [("valid_au", "valid", VALID_COLOUR, "-")]),
)


@styled
def draw_curves(metrics: list[dict]) -> Figure:
    """A 2×2 grid of per-epoch curves; β on a twin axis of the KL panel when it varies."""
    if not metrics:
        raise FigureNotApplicable("metrics.jsonl has no records")
    epochs = number_series(metrics, "epoch")
    if np.isnan(epochs).all():
        epochs = np.arange(1, len(metrics) + 1, dtype=np.float64)
    markers = "o" if len(metrics) <= 30 else None
    fig = new_figure(9.5, 6.4)
    axes = fig.subplots(2, 2, sharex=True).ravel()
    for ax, (title, ylabel, series) in zip(axes, PANELS):
        _panel(ax, epochs, metrics, title, ylabel, series, markers)
    _latent_size(axes[3], metrics)
    beta = number_series(metrics, "beta")
    beta_note = _beta(axes[2], epochs, beta)
    for ax in axes[2:]:
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle("Training curves" + (f" ({beta_note})" if beta_note else ""))
    return fig


def _panel(ax: Axes, epochs, metrics, title: str, ylabel: str, series, markers) -> None:
    drawn = 0
    for key, label, colour, style in series:
        y = number_series(metrics, key)
        if np.isnan(y).all():
            continue
        if key == "valid_neg_elbo" and np.allclose(y, number_series(metrics, "valid_loss"), equal_nan=True):
            continue  # the variant's loss is the −ELBO: one line is enough
        ok = ~np.isnan(y)
        ax.plot(epochs[ok], y[ok], ls=style, color=colour, marker=markers, ms=3, lw=1.4, label=label)
        drawn += 1
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.grid(True)
    if drawn:
        ax.legend(loc="best")
    else:
        ax.text(0.5, 0.5, "not logged", transform=ax.transAxes, ha="center", va="center", color="0.5")


def _latent_size(ax: Axes, metrics: list[dict]) -> None:
    """On the AU panel: the y range 0…d and a dotted line at d, when d is known."""
    sizes = [len(r["valid_kl_per_dim"]) for r in metrics if isinstance(r.get("valid_kl_per_dim"), list)]
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if sizes:
        d = max(sizes)
        ax.axhline(d, ls=":", color="0.4", lw=1.0, label=f"d = {d}")
        ax.set_ylim(-0.03 * d, d * 1.08)
        ax.legend(loc="best")


def _beta(ax: Axes, epochs, beta: np.ndarray) -> str:
    """β on a twin axis of ``ax`` when it varies; otherwise a note for the title."""
    ok = ~np.isnan(beta)
    if not ok.any():
        return ""
    if np.ptp(beta[ok]) == 0:
        return f"β = {fmt(beta[ok][0])} throughout"
    twin = ax.twinx()
    twin.plot(epochs[ok], beta[ok], color=BETA_COLOUR, ls="--", lw=1.2, label="β (right axis)")
    twin.set_ylabel("β", color=BETA_COLOUR)
    twin.tick_params(axis="y", colors=BETA_COLOUR)
    twin.spines["right"].set_visible(True)
    twin.set_ylim(bottom=0)
    lines = ax.get_legend_handles_labels()
    extra = twin.get_legend_handles_labels()
    ax.legend(lines[0] + extra[0], lines[1] + extra[1], loc="best")
    return "β schedule on the KL panel"
