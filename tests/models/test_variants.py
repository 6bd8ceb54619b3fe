"""The seeds' variants: each tested against the formula it implements."""

import math

import pytest
import torch

import vaelab
from vaelab.config import make_config
from vaelab.distributions import DiagonalGaussian
from vaelab.models import build_model
from vaelab.objectives import iw_log_weights
from vaelab.objectives.reencode import reencode_lp, reencode_se


def _model(name, **options):
    cfg = make_config({"model": {"name": name, "latent_dim": 3, "hidden": [16], "options": options}})
    torch.manual_seed(0)
    return build_model(cfg.model, (12,), "binary", n_classes=4)


def _x(n=64, seed=1):
    return (torch.rand(n, 12, generator=torch.Generator().manual_seed(seed)) < 0.4).float()


def test_iwae_with_one_sample_is_the_elbo_with_a_monte_carlo_kl():
    model, x = _model("iwae", k=1), _x()
    torch.manual_seed(3)
    lw, rec, kl_mc = iw_log_weights(model, x, 1, parts=True)
    assert torch.allclose(-lw, rec + kl_mc)
    vae = _model("vae")
    with torch.no_grad():
        torch.manual_seed(0)
        iw = torch.stack([model(x, 1.0).loss for _ in range(300)]).mean()
        torch.manual_seed(0)
        elbo = torch.stack([vae(x, 1.0).loss for _ in range(300)]).mean()
    assert abs(float(iw - elbo)) < 0.15, (float(iw), float(elbo))  # same expectation, MC noise only


def test_iw_bound_is_not_looser_than_the_elbo():
    torch.manual_seed(0)
    x = _x()
    iwae, vae = _model("iwae", k=50), _model("vae")
    with torch.no_grad():
        k50 = torch.stack([iwae(x, 1.0).loss for _ in range(20)]).mean()
        elbo = torch.stack([vae(x, 1.0).loss for _ in range(20)]).mean()
    assert float(k50) <= float(elbo)


def test_reencode_se_is_zero_when_the_reencoding_returns_the_same_code():
    z = torch.randn(5, 4)
    assert torch.equal(reencode_se(z, z), torch.zeros(5))
    model, x = _model("ne-vae", reencode="se"), _x(8)
    c = torch.randn(3)
    model.encode = lambda x, **s: DiagonalGaussian(c.expand(x.shape[0], 3), torch.full((x.shape[0], 3), -60.0))
    out = model(x, 1.0)
    assert torch.allclose(out.extras["reencode"], torch.zeros(8), atol=1e-12)


def test_reencode_lp_formula_and_cap():
    z, mu, logvar = torch.tensor([[0.5, -1.0]]), torch.tensor([[0.0, 0.0]]), torch.tensor([[0.0, math.log(4.0)]])
    nll = 0.5 * (math.log(2 * math.pi) + torch.tensor([0.0, math.log(4.0)]) + torch.tensor([0.25, 0.25]))
    assert torch.allclose(reencode_lp(z, mu, logvar, cap=-math.inf), nll.sum()[None])
    assert torch.allclose(reencode_lp(z, mu, logvar, cap=1.2), torch.clamp(nll, min=1.2).sum()[None])


def test_lp_with_a_very_high_cap_reduces_to_the_plain_objective():
    x = _x(16)
    grads = []
    for name, opts in (("vae", {}), ("ne-vae", {"reencode": "lp", "cap": 1e6, "gamma": 1.0})):
        model = _model(name, **opts)
        torch.manual_seed(5)
        out = model(x, 1.0)
        out.loss.backward()
        grads.append([p.grad.clone() for p in model.parameters()])
        if name == "ne-vae":
            assert torch.allclose(out.extras["reencode"], torch.full((16,), 3e6))
    for a, b in zip(*grads):
        assert torch.allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("preset,mean_bounded,logvar_bounded", [
    ("bounded-mean", True, False), ("bounded-logvar", False, True), ("bounded-both", True, True)])
def test_bounded_presets_respect_their_bounds(preset, mean_bounded, logvar_bounded):
    model = _model(preset)
    q = model.encode(_x(32) * 1e4 - 5e3)  # extreme inputs
    if mean_bounded:
        assert (q.loc.abs() <= 3.0).all()
    else:
        assert (q.loc.abs() > 3.0).any()
    if logvar_bounded:
        assert (q.logvar.abs() <= 1.0).all()
    else:
        assert (q.logvar.abs() > 1.0).any()


def test_anchoring_moves_high_score_means_down(tmp_path):
    base = {"data": {"name": "synthetic", "options": {"n": 1200, "dim": 32, "classes": 4}},
            "model": {"latent_dim": 2, "hidden": [32]}, "train": {"epochs": 8, "batch_size": 50, "progress": False}}
    plain = vaelab.train({**base, "model": {**base["model"], "name": "vae"}}, out=tmp_path / "plain")
    anchored = vaelab.train({**base, "model": {**base["model"], "name": "anchored-vae",
                                               "options": {"anchor_rate": 2.0, "score": "labels",
                                                           "positive_labels": [0], "negative_labels": [3]}}},
                            out=tmp_path / "anchored")

    def gap(run):  # mean code of label 0 minus that of label 3, averaged over dimensions
        x, y = run.eval_data("test"), run.data.test.y
        mu = run.encode(x).loc.mean(-1)
        return float(mu[y == 0].mean() - mu[y == 3].mean())

    assert gap(anchored) < gap(plain) - 1.0, (gap(anchored), gap(plain))


def test_donutness_is_high_for_rings_and_low_for_bars():
    from vaelab.models.anchored import bar_mask, donutness, ring_mask

    for size in (8, 28, 33):
        ring, bar = ring_mask(size, size)[None, None], bar_mask(size, size)[None, None]
        s = donutness(torch.cat([ring, bar]))
        # a bar's middle stretch crosses the ring, so its score is negative but not -1
        assert s[0] > 0.5 and s[1] < -0.2 and s[0] - s[1] > 0.9, (size, s)


def test_cvae_samples_follow_the_requested_label():
    model = _model("cvae")
    a = model.sample(4, y=2, generator=torch.Generator().manual_seed(0))
    b = model.sample(4, y=3, generator=torch.Generator().manual_seed(0))
    assert a.shape == (4, 12) and not torch.allclose(a, b)  # same z, different label -> different images
    with pytest.raises(ValueError, match="needs labels"):
        model.encode(_x(2))


def test_anchoring_with_scores_given_in_the_data(tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    x = (rng.random((1000, 10)) < 0.5).astype(np.float32)
    score = np.where(np.arange(1000) % 2 == 0, 1.0, -1.0).astype(np.float32)
    x[:, :3] = (score > 0)[:, None]  # the encoder can only anchor what it can tell apart
    np.savez(tmp_path / "d.npz", x=x, score=score)
    cfg = {"data": {"name": "array", "options": {"path": str(tmp_path / "d.npz")}},
           "model": {"name": "anchored-vae", "latent_dim": 2, "hidden": [16],
                     "options": {"score": "given", "anchor_rate": 5.0}},
           "train": {"epochs": 25, "batch_size": 50, "progress": False}}
    run = vaelab.train(cfg, out=tmp_path / "r")
    s = run.data.test.score
    mu = run.encode(run.eval_data("test")).loc.mean(-1)
    assert float(mu[s > 0].mean()) < float(mu[s < 0].mean()) - 1.0
