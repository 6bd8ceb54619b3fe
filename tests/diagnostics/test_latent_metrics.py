"""Oracle tests for the re-encoding error, posterior bubbles and the Fréchet distance."""

import math

import numpy as np
import pytest
import scipy.linalg
import torch

from vaelab.diagnostics.bubbles import posterior_bubbles
from vaelab.diagnostics.frechet import frechet_distance
from vaelab.diagnostics.reencode import reencode_error
from vaelab.distributions import DiagonalGaussian


class _Mean:
    def __init__(self, m):
        self.mean = m


def test_reencode_identity_pair_is_exact():
    # q(z|x) = N(x, s^2), decoder mean = z: the re-encoding of x_hat = z has mean z exactly.
    logvar = math.log(0.25)
    encode = lambda x: DiagonalGaussian(x, torch.full_like(x, logvar))  # noqa: E731
    decode = lambda z: _Mean(z)  # noqa: E731
    x = torch.randn(300, 5)
    out = reencode_error(encode, decode, x, generator=torch.Generator().manual_seed(0), batch_size=64)
    assert out["reencode_se"] == pytest.approx(0.0, abs=1e-12)
    assert out["reencode_lp"] == pytest.approx(5 * 0.5 * (math.log(2 * math.pi) + logvar), rel=1e-6)


def test_reencode_constant_decoder_forgets_the_code():
    # decoder ignores z (mean 0); encoder mean = x, unit variance: z ~ N(x, 1), re-encoding mean 0,
    # so se = mean_k z_k^2, whose expectation is mean_k (x_k^2 + 1).
    encode = lambda x: DiagonalGaussian(x, torch.zeros_like(x))  # noqa: E731
    decode = lambda z: _Mean(torch.zeros_like(z))  # noqa: E731
    x = torch.full((20000, 3), 2.0)
    out = reencode_error(encode, decode, x, generator=torch.Generator().manual_seed(1))
    assert out["reencode_se"] == pytest.approx(5.0, rel=0.02)
    expected_lp = 3 * 0.5 * math.log(2 * math.pi) + 0.5 * 3 * 5.0  # sum_k 0.5 (log 2pi + z_k^2)
    assert out["reencode_lp"] == pytest.approx(expected_lp, rel=0.02)


def test_reencode_deterministic_encoder_has_no_lp():
    encode = lambda x: _Mean(x)  # noqa: E731
    out = reencode_error(encode, lambda z: _Mean(0.5 * z), torch.ones(10, 2))
    assert out == {"reencode_se": pytest.approx(0.25)}


def test_bubbles_hand_computed():
    mean = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    logvar = np.array([[-1.0, -1.0], [-3.0, -1.0], [0.0, -2.0], [-1.0, -1.0]])
    out = posterior_bubbles(mean, logvar, [0, 0, 1, 1], group_by="digit label", names=["zero", "one"])
    g0, g1 = out["groups"]
    assert (g0["group"], g0["n"], g0["volume"], g0["distance"]) == ("zero", 2, -3.0, 2.5)
    assert (g1["group"], g1["volume"], g1["distance"]) == ("one", -2.0, 1.5)
    volumes = np.array([-3.0, -2.0])
    assert out["evenness_cv"] == pytest.approx(volumes.std() / 2.5)
    assert out["group_by"] == "digit label"


def test_bubbles_equal_groups_are_perfectly_even():
    rng = np.random.default_rng(0)
    out = posterior_bubbles(rng.normal(size=(6, 3)), np.full((6, 3), -2.0), [0, 1, 2, 0, 1, 2])
    assert out["evenness_cv"] == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError):
        posterior_bubbles(np.zeros((3, 2)), np.zeros((3, 3)), [0, 1, 2])


def _scipy_fd(a, b):
    mu_a, mu_b, ca, cb = a.mean(0), b.mean(0), np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(ca @ cb).real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(ca + cb - 2 * covmean))


def test_frechet_identical_sets_is_zero_and_symmetric():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(500, 16)), rng.normal(1.0, 2.0, size=(400, 16))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-9)


def test_frechet_matches_scipy_sqrtm():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(800, 8)) @ rng.normal(size=(8, 8))
    b = rng.normal(size=(600, 8)) @ rng.normal(size=(8, 8)) + 0.3
    assert frechet_distance(a, b) == pytest.approx(_scipy_fd(a, b), rel=1e-6)


def test_frechet_closed_form_for_diagonal_gaussians():
    # Population value: |m1 - m2|^2 + sum (s1 - s2)^2 for diagonal covariances.
    rng = np.random.default_rng(2)
    m1, m2, s1, s2 = np.zeros(4), np.array([1.0, 0, 0, 2.0]), np.ones(4), np.array([2.0, 1, 1, 0.5])
    a, b = rng.normal(m1, s1, size=(200000, 4)), rng.normal(m2, s2, size=(200000, 4))
    expected = ((m1 - m2) ** 2).sum() + ((s1 - s2) ** 2).sum()
    assert frechet_distance(a, b) == pytest.approx(expected, rel=0.01)


def test_frechet_rejects_mismatched_features():
    with pytest.raises(ValueError, match="same f"):
        frechet_distance(np.zeros((5, 3)), np.zeros((5, 4)))
