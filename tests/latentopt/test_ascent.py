"""Gradient ascent in latent space: the oracle fixed point, the penalty, the ball, and independence of starts."""

import pytest
import torch

from vaelab.latentopt import ascend, penalised


def _linear(w):
    return lambda z: z @ w  # (K, d) -> (K,)


def test_linear_score_converges_to_w_over_lambda():
    # J(z) = w.z - lambda/2 ||z||^2 is maximised at z* = w / lambda, from any start.
    torch.manual_seed(0)
    w, lam = torch.tensor([1.0, -0.5, 0.25]), 0.5
    z0 = 3 * torch.randn(6, 3)
    path = ascend(_linear(w), z0, steps=3000, lr=0.05, penalty=lam)
    torch.testing.assert_close(path.z[-1], (w / lam).expand(6, 3), atol=2e-3, rtol=0)
    assert path.z.shape == (3001, 6, 3) and path.score.shape == (3001, 6)
    torch.testing.assert_close(path.z[0], z0)
    # The objective ends at its maximum |w|^2 / (2 lambda) and never ends below where it started.
    torch.testing.assert_close(path.objective[-1], torch.full((6,), float(w @ w / (2 * lam))), atol=1e-4, rtol=0)
    assert bool((path.objective[-1] >= path.objective[0]).all())


def test_ascent_increases_the_predicted_property():
    w = torch.tensor([2.0, 1.0])
    path = ascend(_linear(w), torch.zeros(4, 2), steps=50, lr=0.1, penalty=0.1)
    assert bool((path.score[-1] > path.score[0] + 1.0).all())


@pytest.mark.parametrize("lam", [0.25, 1.0, 4.0])
def test_a_stronger_penalty_keeps_z_closer_to_the_origin(lam):
    w = torch.tensor([1.0, 1.0, 0.0, 0.0])
    path = ascend(_linear(w), torch.zeros(2, 4), steps=3000, lr=0.05, penalty=lam)
    assert path.norm[-1].mean().item() == pytest.approx(float(w.norm()) / lam, abs=5e-3)


def test_penalised_is_score_minus_half_lambda_squared_norm():
    z = torch.tensor([[3.0, 4.0], [0.0, 0.0]])
    torch.testing.assert_close(penalised(torch.tensor([1.0, 2.0]), z, 0.2), torch.tensor([1.0 - 2.5, 2.0]))


def test_without_penalty_the_ball_bounds_the_path():
    # An unbounded linear score runs to infinity; the projection keeps it on the ball.
    w = torch.tensor([3.0, 4.0])
    path = ascend(_linear(w), torch.zeros(3, 2), steps=400, lr=0.1, penalty=0.0, max_norm=2.0)
    assert float(path.norm.max()) <= 2.0 + 1e-5
    torch.testing.assert_close(path.norm[-1], torch.full((3,), 2.0))
    assert bool((path.score[-1] > 0.9 * 2.0 * w.norm()).all())  # near the best point of the ball, 2 w/|w|
    assert bool(path.clipped[-1].all()) and not bool(path.clipped[0].any())


def test_starts_move_independently_as_separate_runs():
    # Adam's moments are per element: K starts in one tensor follow exactly the paths of K single runs.
    def f(z):
        return torch.sin(z).sum(-1) - 0.1 * z.pow(4).sum(-1)

    z0 = torch.randn(3, 5, generator=torch.Generator().manual_seed(1))
    together = ascend(f, z0, steps=40, lr=0.05, penalty=0.3, max_norm=2.5)
    for k in range(3):
        alone = ascend(f, z0[k : k + 1], steps=40, lr=0.05, penalty=0.3, max_norm=2.5)
        torch.testing.assert_close(together.z[:, k], alone.z[:, 0], atol=1e-6, rtol=0)


def test_parameters_of_the_score_are_left_alone():
    net = torch.nn.Linear(3, 1)
    before = [p.detach().clone() for p in net.parameters()]
    ascend(lambda z: net(z).squeeze(-1), torch.zeros(2, 3), steps=5, lr=0.1)
    assert all(torch.equal(a, b.detach()) and b.grad is None for a, b in zip(before, net.parameters()))


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="steps >= 1"):
        ascend(_linear(torch.ones(2)), torch.zeros(1, 2), steps=0)


def test_in_the_codes_whitened_space_the_fixed_point_is_mean_plus_sigma_w_over_lambda():
    # maximise w.z - lambda/2 (z - mu)^T Sigma^-1 (z - mu)  =>  z* = mu + Sigma w / lambda; the path is reported in z.
    from vaelab.latentopt.code_stats import CodeStats
    from vaelab.latentopt.optimize import _ascend

    gen = torch.Generator().manual_seed(0)
    codes = torch.randn(4000, 3, generator=gen) * torch.tensor([1.0, 0.05, 0.3]) + torch.tensor([0.5, 0.0, -1.0])
    stats = CodeStats.fit(codes)
    sigma = stats.chol @ stats.chol.T  # the fitted covariance
    w, lam = torch.tensor([0.5, 20.0, -1.0]), 2.0  # steep along the thin dimension, as an overfitted predictor is
    path = _ascend(_linear(w), codes[:4], stats, "codes", box=False, steps=2000, lr=0.05, penalty=lam, max_norm=None)
    torch.testing.assert_close(path.z[-1], (stats.mean + sigma @ w / lam).expand(4, 3), atol=2e-3, rtol=0)
    torch.testing.assert_close(path.z[0], codes[:4], atol=1e-4, rtol=0)
    # on z itself with the prior's penalty the same predictor runs 20 / lambda = 10 along the thin dimension
    prior = _ascend(_linear(w), codes[:4], stats, "prior", box=False, steps=2000, lr=0.05, penalty=lam, max_norm=None)
    assert float(prior.z[-1, :, 1].mean()) == pytest.approx(10.0, abs=0.01)
    boxed = _ascend(_linear(w), codes[:4], stats, "prior", box=True, steps=300, lr=0.05, penalty=lam, max_norm=None)
    assert float(boxed.z[-1, :, 1].max()) <= float(stats.hi[1]) + 1e-6  # the box holds it within the codes' range
