import math

import torch

from vaelab.config import ModelConfig
from vaelab.models import build_model
from vaelab.objectives import iw_bound
from vaelab.objectives.elbo import elbo_terms


def _model(seed=0):
    torch.manual_seed(seed)
    m = build_model(ModelConfig(latent_dim=3, hidden=[16]), (12,), "binary")
    return m.eval()


def _data(n=64, seed=1):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, 12, generator=g) < 0.4).float()


def test_iw_bound_with_one_sample_equals_elbo_in_expectation():
    model, x = _model(), _data()
    torch.manual_seed(0)
    l1 = torch.stack([iw_bound(model, x, 1) for _ in range(400)]).mean(0)  # (B,)
    with torch.no_grad():
        elbo = torch.stack([-elbo_terms(model, x, 1.0).neg_elbo for _ in range(400)]).mean(0)
    # same expectation; MC noise over 400 draws is well below 0.15 nats
    assert torch.allclose(l1.mean(), elbo.mean(), atol=0.15), (l1.mean(), elbo.mean())


def test_iw_bound_tightens_with_k():
    model, x = _model(), _data()
    torch.manual_seed(0)
    bounds = [float(torch.stack([iw_bound(model, x, k) for _ in range(20)]).mean()) for k in (1, 5, 50, 500)]
    assert bounds[0] < bounds[1] < bounds[2] < bounds[3], bounds


def test_iw_bound_converges_to_exact_log_likelihood_on_tiny_model():
    # With a 1-d latent, log p(x) is computable by quadrature: the K=5000 bound must approach it from below.
    torch.manual_seed(0)
    model = build_model(ModelConfig(latent_dim=1, hidden=[8]), (5,), "binary").eval()
    x = (torch.rand(8, 5) < 0.5).float()
    grid = torch.linspace(-8, 8, 4001)[:, None]  # (G, 1)
    with torch.no_grad():
        logpxz = model.decode(grid[:, None, :].expand(-1, 8, -1)).log_prob(x)  # (G, B)
        logpz = model.prior.log_prob(grid)  # (G,)
        dz = float(grid[1, 0] - grid[0, 0])
        exact = torch.logsumexp(logpxz + logpz[:, None], 0) + math.log(dz)  # (B,)
        bound = iw_bound(model, x, 5000, chunk=700)
    assert (bound <= exact + 0.02).all()
    assert torch.allclose(bound, exact, atol=0.05), (bound, exact)


def test_chunking_does_not_change_the_bound_beyond_noise():
    model, x = _model(), _data(16)
    torch.manual_seed(3)
    whole = torch.stack([iw_bound(model, x, 200).mean() for _ in range(30)])
    chunked = torch.stack([iw_bound(model, x, 200, chunk=37).mean() for _ in range(30)])
    se = ((whole.var() + chunked.var()) / 30).sqrt()
    assert abs(float(whole.mean() - chunked.mean())) < 4 * float(se) + 1e-3
