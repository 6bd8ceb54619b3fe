"""sweep.png: means and sds over seeds against each varied key, computed from the rows by hand."""

import numpy as np
import pytest

from vaelab.plots.errors import FigureNotApplicable
from vaelab.plots.sweep import draw_sweep, sweep_metrics


def _rows():
    rows = []
    for beta, latent, seed, elbo in [(0.5, 2, 0, 10.0), (0.5, 2, 1, 12.0), (1.0, 2, 0, 11.0), (1.0, 2, 1, 15.0),
                                     (0.5, 8, 0, 20.0), (0.5, 8, 1, 20.0), (1.0, 8, 0, 30.0), (1.0, 8, 1, 34.0)]:
        rows.append({"trial": f"{beta}-{latent}-{seed}", "kl_schedule.end": beta, "model.latent_dim": latent,
                     "train.seed": seed, "status": "completed", "valid_neg_elbo": elbo, "valid_au": latent})
    rows.append({"trial": "bad", "kl_schedule.end": 2.0, "model.latent_dim": 2, "train.seed": 0, "status": "failed",
                 "valid_neg_elbo": None})
    return rows


VARIED = ["kl_schedule.end", "model.latent_dim", "train.seed"]


def _mean_lines(ax):
    """The thick lines of a panel (lw 1.8): label -> (x, y)."""
    return {line.get_label(): (list(line.get_xdata()), list(line.get_ydata()))
            for line in ax.get_lines() if line.get_linewidth() == pytest.approx(1.8)}


def test_each_point_is_the_mean_over_seeds_and_failed_trials_are_left_out():
    fig = draw_sweep(_rows(), VARIED)
    axes = np.array(fig.axes).reshape(2, 2)  # metrics x varied keys (seed averaged, not an axis)
    by_beta = _mean_lines(axes[0, 0])
    assert by_beta["model.latent_dim=2 (n=2)"] == ([0.5, 1.0], [11.0, 13.0])
    assert by_beta["model.latent_dim=8 (n=2)"] == ([0.5, 1.0], [20.0, 32.0])
    by_latent = _mean_lines(axes[0, 1])
    assert by_latent["kl_schedule.end=0.5 (n=2)"] == ([2.0, 8.0], [11.0, 20.0])
    band = axes[0, 0].collections[0].get_paths()[0].vertices[:, 1]  # mean ± sd (ddof=1) of latent 2: 11 ± 1.414
    assert band.min() == pytest.approx(11.0 - np.std([10, 12], ddof=1)) and band.max() == pytest.approx(13 + np.std([11, 15], ddof=1))
    thin = [line for line in axes[0, 0].get_lines() if line.get_linewidth() < 1]
    assert len(thin) == 4  # one per seed per colour
    assert "8 of 9 trials finished, mean ± sd over 2 seeds" in fig._suptitle.get_text()


def test_csv_strings_and_categorical_keys_are_drawn():
    rows = [{"model.name": name, "status": "completed", "valid_neg_elbo": str(v), "train.seed": "0"}
            for name, v in [("vae", 3.0), ("iwae", 2.0)]]
    fig = draw_sweep(rows, ["model.name"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["iwae", "vae"]
    assert list(ax.get_lines()[0].get_ydata()) == [2.0, 3.0]


def test_the_metrics_chosen_are_those_present():
    assert [m for m, _ in sweep_metrics(_rows())] == ["valid_neg_elbo", "valid_au"]
    assert [m for m, _ in sweep_metrics([{"best_valid_loss": 1.0}])] == ["best_valid_loss"]
    with pytest.raises(FigureNotApplicable):
        draw_sweep([{"status": "failed"}], ["model.latent_dim"])
