import math

import pytest
import torch
import torch.nn.functional as F

from vaelab.distributions import (
    Bernoulli,
    BoundedGaussianHead,
    DiagonalGaussian,
    GaussianHead,
    StandardNormalPrior,
    kl_divergence,
)


def test_kl_closed_form_matches_monte_carlo():
    torch.manual_seed(0)
    mean = torch.tensor([[0.5, -1.0, 2.0]])
    logvar = torch.tensor([[-1.0, 0.3, 0.8]])
    q = DiagonalGaussian(mean, logvar)
    prior = StandardNormalPrior(3)
    z = q.rsample((400_000,))  # (S, 1, 3)
    mc = (q.log_prob(z) - prior.log_prob(z)).mean()
    analytic = kl_divergence(q, prior).sum()
    assert torch.allclose(mc, analytic, atol=0.01), (mc, analytic)


def test_kl_per_dim_hand_computed():
    q = DiagonalGaussian(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, math.log(2.0)]]))
    kl = kl_divergence(q, StandardNormalPrior(2))
    # dim 0: 0.5 * (1 + 1 - 1 - 0) = 0.5; dim 1: 0.5 * (0 + 2 - 1 - ln 2)
    assert torch.allclose(kl, torch.tensor([[0.5, 0.5 * (1 - math.log(2.0))]]))


def test_gaussian_vs_gaussian_kl_reduces_to_prior_case():
    q = DiagonalGaussian(torch.randn(5, 4), torch.randn(5, 4))
    p = DiagonalGaussian(torch.zeros(4), torch.zeros(4))
    assert torch.allclose(kl_divergence(q, p), kl_divergence(q, StandardNormalPrior(4)), atol=1e-6)


def test_gaussian_log_prob_matches_torch():
    mean, logvar = torch.randn(6, 5), torch.randn(6, 5)
    x = torch.randn(6, 5)
    ours = DiagonalGaussian(mean, logvar).log_prob(x)
    ref = torch.distributions.Normal(mean, torch.exp(0.5 * logvar)).log_prob(x).sum(-1)
    assert torch.allclose(ours, ref, atol=1e-5)


def test_bernoulli_log_prob_equals_negative_bce():
    logits = torch.randn(7, 1, 4, 4) * 3
    x = (torch.rand(7, 1, 4, 4) < 0.5).float()
    lp = Bernoulli(logits, event_ndim=3).log_prob(x)
    bce = F.binary_cross_entropy(torch.sigmoid(logits.double()), x.double(), reduction="none").sum((1, 2, 3))
    assert lp.shape == (7,)
    assert torch.allclose(lp.double(), -bce, atol=1e-4)


def test_bernoulli_log_prob_broadcasts_over_samples():
    logits = torch.randn(3, 2, 5)  # (K, B, D)
    x = (torch.rand(2, 5) < 0.5).float()
    lp = Bernoulli(logits).log_prob(x)
    assert lp.shape == (3, 2)
    assert torch.allclose(lp[1], Bernoulli(logits[1]).log_prob(x))


@pytest.mark.parametrize("m,s,v", [(3.0, 1.0, 0.0), (2.0, 2.0, 1.0)])
def test_bounded_head_stays_within_bounds_for_extreme_inputs(m, s, v):
    head = BoundedGaussianHead(8, 4, m=m, s=s, v=v)
    h = torch.cat([torch.full((1, 8), 1e6), torch.full((1, 8), -1e6), torch.randn(5, 8) * 1e3])
    q = head(h)
    assert torch.isfinite(q.mean).all() and torch.isfinite(q.logvar).all()
    assert (q.mean.abs() <= m).all()
    assert (q.logvar >= -s - v).all() and (q.logvar <= s - v).all()
    # the bounds are reached: extreme inputs saturate tanh
    assert torch.isclose(q.mean.abs().max(), torch.tensor(m))


def test_gaussian_likelihood_head_bounds_logvar_and_mean():
    head = GaussianHead(8, (1, 2, 2), mean_activation="sigmoid", logvar_bound=1.0)
    p = head(torch.randn(3, 8) * 1e4)
    assert p.mean.shape == (3, 1, 2, 2)
    assert ((p.mean >= 0) & (p.mean <= 1)).all()
    assert (p.logvar.abs() <= 1.0).all()
    assert p.log_prob(torch.rand(3, 1, 2, 2)).shape == (3,)


def test_prior_log_prob_and_sample():
    prior = StandardNormalPrior(3)
    z = torch.zeros(2, 3)
    assert torch.allclose(prior.log_prob(z), torch.full((2,), -1.5 * math.log(2 * math.pi)))
    assert prior.sample(10).shape == (10, 3)
