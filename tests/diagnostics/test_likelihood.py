"""``iw_nll``: an oracle with a closed-form log p(x), chunking and batching, the fast path."""

import math

import pytest
import torch
from torch import nn

from vaelab.config import ModelConfig
from vaelab.diagnostics import iw_nll
from vaelab.diagnostics.likelihood import _sample_chunk
from vaelab.distributions import FixedGaussianHead, GaussianPosteriorHead, StandardNormalPrior
from vaelab.models import build_model
from vaelab.models.vae import VAE
from vaelab.objectives import iw_bound


def _linear_gaussian(dtype=torch.float64, d=3, D=7, sigma=math.exp(-0.5), seed=0):
    """p(z) = N(0, I), p(x|z) = N(Wz + b, sigma^2 I), with q(z|x) the exact posterior, built from vaelab parts.

    W = Q diag(s) with orthonormal columns Q makes the posterior covariance diagonal:
    Sigma = diag(1 / (1 + s^2 / sigma^2)), mean = Sigma W^T (x - b) / sigma^2. Returns the
    model and log p(x) as a function of x (the marginal is N(b, W W^T + sigma^2 I)).
    The head keeps log sigma^2 in a float32 buffer: sigma = exp(-0.5) makes it exactly -1.
    """
    g = torch.Generator().manual_seed(seed)
    q_mat, _ = torch.linalg.qr(torch.randn(D, d, generator=g, dtype=torch.float64))  # (D, d)
    s = torch.tensor([2.0, 0.7, 1.3], dtype=torch.float64)[:d]
    w = q_mat * s  # (D, d)
    b = torch.randn(D, generator=g, dtype=torch.float64)
    post_var = 1.0 / (1.0 + s**2 / sigma**2)  # (d,)
    a = post_var[:, None] * w.T / sigma**2  # (d, D): posterior mean = a (x - b)

    enc = GaussianPosteriorHead(D, d).to(dtype)
    dec = FixedGaussianHead(d, (D,), mean_activation="identity", std=sigma).to(dtype)
    with torch.no_grad():
        enc.linear.weight.copy_(torch.cat([a, torch.zeros(d, D, dtype=torch.float64)]))
        enc.linear.bias.copy_(torch.cat([-a @ b, post_var.log()]))
        dec.linear.weight.copy_(w)
        dec.linear.bias.copy_(b)
    model = VAE(nn.Flatten(), enc, nn.Identity(), dec, StandardNormalPrior(d)).to(dtype).eval()
    marginal = torch.distributions.MultivariateNormal(b, w @ w.T + sigma**2 * torch.eye(D, dtype=torch.float64))
    return model, marginal.log_prob


@pytest.mark.parametrize("k", [1, 7, 50])
def test_iw_nll_is_exact_for_a_linear_gaussian_model_with_the_true_posterior(k):
    # With q(z|x) = p(z|x), every weight p(x, z) / q(z|x) equals p(x): the estimate is exact for any K.
    model, log_px = _linear_gaussian()
    x = torch.randn(23, 7, generator=torch.Generator().manual_seed(1), dtype=torch.float64) * 2
    exact = -log_px(x)  # (N,)
    torch.manual_seed(0)
    out = iw_nll(model, x, k=k, batch_size=10, budget=100)  # ragged last batch, several chunks
    assert out["iw_samples"] == k
    assert out["iw_nll"] == pytest.approx(float(exact.mean()), abs=1e-9)
    assert out["iw_nll_se"] == pytest.approx(float(exact.std() / math.sqrt(23)), rel=1e-6)
    assert torch.allclose(-iw_bound(model, x, k, chunk=3), exact, atol=1e-9)


def test_linear_gaussian_oracle_in_float32():
    model, log_px = _linear_gaussian(torch.float32)
    x = torch.randn(50, 7, generator=torch.Generator().manual_seed(2)) * 2
    exact = -log_px(x.double())
    out = iw_nll(model, x, k=200, batch_size=16)
    assert out["iw_nll"] == pytest.approx(float(exact.mean()), abs=1e-3)


def test_the_oracle_detects_a_wrong_posterior():
    # the same check is sensitive: widen q and the estimate is no longer exact (it is an upper bound on -log p)
    model, log_px = _linear_gaussian()
    with torch.no_grad():
        model.posterior_head.linear.bias[3:] += 0.5
    x = torch.randn(40, 7, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    torch.manual_seed(0)
    est = iw_nll(model, x, k=5)["iw_nll"]
    assert est > float(-log_px(x).mean()) + 0.01


def test_iw_nll_equals_the_mean_of_per_batch_bounds():
    torch.manual_seed(0)
    model = build_model(ModelConfig(latent_dim=4, hidden=[24, 16], activation="tanh"), (1, 8, 8), "binary").eval()
    x = (torch.rand(25, 1, 8, 8) < 0.3).float()
    chunk = _sample_chunk(model, 10, 60, 2**10)
    assert 60 % chunk == 0  # a divisor of k when one is close to the budget's chunk
    torch.manual_seed(1)
    done = []
    out = iw_nll(model, x, k=60, batch_size=10, budget=2**10, progress=done.append)
    torch.manual_seed(1)
    ref = torch.cat([-iw_bound(model, x[s:s + 10], 60, chunk=chunk) for s in range(0, 25, 10)]).double()
    assert done == [10, 20, 25]
    assert out["iw_nll"] == pytest.approx(float(ref.mean()), rel=1e-6)
    assert out["iw_samples"] == 60
