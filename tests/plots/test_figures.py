"""Drawing functions called directly on edge cases: they return a Figure, or say why not."""

import numpy as np
import pytest

from vaelab.plots import (draw_activity, draw_bubbles, draw_curves, draw_interpolations, draw_latent_scatter,
                          draw_traversals)
from vaelab.plots.errors import FigureNotApplicable


def _texts(fig):
    """Every title and suptitle of a rendered figure, joined."""
    fig.canvas.draw()
    parts = [fig.get_suptitle()] + [ax.get_title() for ax in fig.axes]
    return " | ".join(p for p in parts if p)


def _posterior(n=200, d=4, labels=None, seed=0):
    rng = np.random.default_rng(seed)
    out = {"mu": rng.standard_normal((n, d)).astype(np.float32) * np.linspace(2, 0.1, d),
           "logvar": np.full((n, d), -1.0, np.float32)}
    if labels is not None:
        out["labels"] = labels
        out["label_name"] = np.array("cluster")
    return out


def test_scatter_many_labels_uses_a_colourbar_and_1d_codes_work():
    fig = draw_latent_scatter(_posterior(labels=np.arange(200) % 40))
    assert any(ax.get_label() == "<colorbar>" for ax in fig.axes)
    assert "PCA of 4-D codes" in _texts(fig)
    fig = draw_latent_scatter(_posterior(d=1))
    assert fig.axes[0].get_xlabel() == "z0"


def test_bubbles_default_to_the_most_active_dimensions_and_need_two():
    post = _posterior(d=5)
    post["mu"] = post["mu"][:, ::-1].copy()  # most active is now z4, then z3
    fig = draw_bubbles(post)
    assert fig.axes[0].get_xlabel().startswith("z4") and fig.axes[0].get_ylabel().startswith("z3")
    with pytest.raises(FigureNotApplicable, match="two dimensions"):
        draw_bubbles(_posterior(d=1))
    post.pop("logvar")
    with pytest.raises(FigureNotApplicable, match="deterministic encoder"):
        draw_bubbles(post)


def test_traversals_say_when_rows_are_truncated():
    d, s = 20, 30
    arrays = {"values": np.linspace(-3, 3, s), "dims": np.arange(d)[::-1].copy(), "activity": np.logspace(0, -6, d),
              "x": np.random.default_rng(0).random((d, s, 1, 8, 8)).astype(np.float16),
              "event_shape": np.array([1, 8, 8]), "kind": np.array("unit"), "base": np.array("data")}
    fig = draw_traversals(arrays, max_rows=5, columns=7)
    assert "5 most active of 20" in _texts(fig)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "z19  A=1"
    assert len(ax.get_xticklabels()) == 7


def test_interpolations_draw_the_panels_present():
    rng = np.random.default_rng(0)
    arrays = {"t": np.linspace(0, 1, 12), "linear": rng.random((3, 12, 10)), "origin": rng.random((3, 12, 10)),
              "event_shape": np.array([10]), "kind": np.array("real")}
    fig = draw_interpolations(arrays)
    assert sum(ax.get_visible() for ax in fig.axes) == 2


def test_activity_handles_zeros_and_missing_kl():
    fig = draw_activity({"activity_per_dim": [0.0, 1e-9, 0.5, 2.0], "au_threshold": 0.01})
    text = _texts(fig)
    assert "AU = 2/4" in text and len(fig.axes) == 1
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "active if A_u > 0.01" in labels


@pytest.mark.parametrize("records, note", [
    ([{"epoch": 1, "beta": 1.0, "train_loss": 3.0, "train_rec": 2.0, "train_kl": 1.0}], "β = 1 throughout"),
    ([{"epoch": e, "train_loss": 5.0 - e, "valid_loss": float("nan")} for e in range(1, 4)], "Training curves"),
])
def test_curves_with_few_or_partial_records(records, note):
    fig = draw_curves(records)
    assert note in _texts(fig)
    au_panel = fig.axes[3]
    assert any(t.get_text() == "not logged" for t in au_panel.texts)
