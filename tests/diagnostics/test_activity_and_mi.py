import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from vaelab.diagnostics.activity import active_units
from vaelab.diagnostics.mutual_info import _log_q_matrix, mutual_information, posterior_stats
from vaelab.distributions.base import DiagonalGaussian, PointMass


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _mc_sd(n: int, d: int) -> float:
    """Std of the single-draw noise in the estimate when q(z) is known exactly: sqrt(d / (2N))."""
    return math.sqrt(d / (2 * n))


# ---------------------------------------------------------------- active units


def test_identity_encoder_all_units_active():
    means = torch.randn(1000, 5, generator=_gen(0))  # data itself, N(0, 1) in 5 dims
    out = active_units(means)
    assert out["au"] == 5
    assert out["collapsed_dims"] == []
    assert out["au_threshold"] == 0.01
    assert all(abs(a - 1.0) < 0.15 for a in out["activity_per_dim"])


def test_constant_means_no_unit_active():
    out = active_units(torch.full((100, 4), 3.7))
    assert out["au"] == 0
    assert out["collapsed_dims"] == [0, 1, 2, 3]
    assert out["activity_per_dim"] == [0.0] * 4


def test_activity_matches_numpy_ddof1():
    means = np.array([[1.0, 0.0, 2.0, -1.0], [3.0, 0.0, 2.05, 4.0], [5.0, 0.0, 1.95, 0.5]], dtype=np.float32)
    out = active_units(torch.from_numpy(means))
    expected = means.astype(np.float64).var(axis=0, ddof=1)  # ~[4, 0, 0.0025, 6.583]
    np.testing.assert_allclose(out["activity_per_dim"], expected, rtol=1e-12)
    by_hand = [4.0, 0.0, 0.0025, 79 / 12]  # sum of squared deviations / (N - 1 = 2)
    np.testing.assert_allclose(expected, by_hand, rtol=1e-5)  # float32 inputs round 2.05 and 1.95
    assert len(out["activity_per_dim"]) == 4
    assert isinstance(out["au"], int) and out["au"] == 2
    assert out["collapsed_dims"] == [1, 2]


def test_threshold_boundary_is_exclusive():
    means = torch.tensor([[0.0, 0.0], [0.5, 1.0], [1.0, 2.0]])  # activities exactly 0.25 and 1.0
    assert active_units(means, threshold=0.25)["activity_per_dim"] == [0.25, 1.0]
    assert active_units(means, threshold=0.25)["au"] == 1  # A_u == threshold counts as collapsed
    assert active_units(means, threshold=0.25)["collapsed_dims"] == [0]
    assert active_units(means, threshold=0.2499)["au"] == 2
    assert active_units(means, threshold=1.0)["au"] == 0


def test_active_units_rejects_bad_input():
    with pytest.raises(ValueError, match="at least 2"):
        active_units(torch.zeros(1, 3))
    with pytest.raises(ValueError, match=r"\(N, d\)"):
        active_units(torch.zeros(10))


# ---------------------------------------------------------------- mutual information


def test_vectorised_log_q_matches_naive():
    g = _gen(1)
    mean = torch.randn(9, 3, generator=g, dtype=torch.float64) * 3
    logvar = torch.randn(9, 3, generator=g, dtype=torch.float64) * 2
    z = torch.randn(6, 3, generator=g, dtype=torch.float64) * 3
    naive = DiagonalGaussian(mean[None], logvar[None]).log_prob(z[:, None, :])  # (6, 9) via a (6, 9, 3) tensor
    fast = _log_q_matrix(z, mean, logvar)  # (6, 9)
    assert fast.shape == (6, 9)
    torch.testing.assert_close(fast, naive, rtol=0, atol=1e-6)


def test_chunk_size_does_not_change_result():
    g = _gen(2)
    mean, logvar = torch.randn(50, 4, generator=g), torch.randn(50, 4, generator=g) - 1
    ref = mutual_information(mean, logvar, generator=_gen(7), chunk=2048)
    for chunk in (1, 7, 50):
        out = mutual_information(mean, logvar, generator=_gen(7), chunk=chunk)
        assert out["mi"] == pytest.approx(ref["mi"], abs=1e-10)
        assert out["log_qz"] == pytest.approx(ref["log_qz"], abs=1e-10)


def test_result_fields_and_seed_determinism():
    g = _gen(3)
    mean, logvar = torch.randn(300, 3, generator=g), torch.randn(300, 3, generator=g) - 1
    a = mutual_information(mean, logvar, generator=_gen(5))
    b = mutual_information(mean, logvar, generator=_gen(5))
    assert a == b
    assert set(a) == {"mi", "neg_entropy", "log_qz", "mi_n"}
    assert a["mi_n"] == 300
    assert a["mi"] == pytest.approx(a["neg_entropy"] - a["log_qz"], abs=1e-12)
    expected_neg_entropy = float((-0.5 * (math.log(2 * math.pi) + 1 + logvar.double())).sum(1).mean())
    assert a["neg_entropy"] == pytest.approx(expected_neg_entropy, abs=1e-9)


def test_independent_posterior_gives_zero_mi():
    n, d = 2000, 2
    mean = torch.tensor([[0.3, -1.2]]).expand(n, d)  # same q(z|x) for every x
    logvar = torch.tensor([[0.5, -0.7]]).expand(n, d)
    mis = [mutual_information(mean, logvar, generator=_gen(s))["mi"] for s in range(20)]
    # Each estimate is 0 + noise of sd sqrt(d / 2N) = 0.022; the mean of 20 has sd 0.005.
    assert all(abs(m) < 5 * _mc_sd(n, d) for m in mis), mis
    assert abs(sum(mis) / len(mis)) < 0.02, mis


def _gaussian_channel(n: int, s: float, seed: int = 0):
    """x ~ N(0, 1), q(z|x) = N(x, s^2) in 1-D: I(x; z) = 0.5 log(1 + 1/s^2)."""
    x = torch.randn(n, 1, generator=_gen(seed))
    return x, torch.full_like(x, 2 * math.log(s))


def test_gaussian_channel_closed_form():
    s = 0.5
    mean, logvar = _gaussian_channel(5000, s)
    out = mutual_information(mean, logvar, generator=_gen(11))
    assert out["mi"] == pytest.approx(0.5 * math.log(1 + 1 / s**2), abs=0.05)  # 0.805 nats


def test_mi_increases_as_posterior_variance_shrinks():
    mis = []
    for s in (2.0, 1.0, 0.5, 0.25):
        mean, logvar = _gaussian_channel(2000, s, seed=4)
        mis.append(mutual_information(mean, logvar, generator=_gen(4))["mi"])
    assert all(a < b for a, b in zip(mis, mis[1:])), mis


def test_mi_never_exceeds_log_n():
    n = 4000
    mean = torch.linspace(-100, 100, n)[:, None]  # spacing 0.05, far wider than sd 1e-3
    logvar = torch.full_like(mean, 2 * math.log(1e-3))
    out = mutual_information(mean, logvar, generator=_gen(8))
    tol = 5 * _mc_sd(n, 1)  # 0.056 nats
    assert out["mi"] <= math.log(n) + tol
    assert out["mi"] >= math.log(n) - tol  # a perfectly informative code saturates at log N
    small = mutual_information(mean[::40], logvar[::40], generator=_gen(8))  # N = 100
    assert small["mi"] <= math.log(100) + 5 * _mc_sd(100, 1)
    assert small["mi_n"] == 100


def test_mi_is_translation_invariant_in_float64():
    # Large shared offsets make the expanded quadratic cancel badly in float32.
    mean, logvar = _gaussian_channel(500, 0.3, seed=6)
    base = mutual_information(mean.double(), logvar, generator=_gen(9))["mi"]
    shifted = mutual_information(mean.double() + 100.0, logvar, generator=_gen(9))["mi"]
    assert shifted == pytest.approx(base, abs=1e-6)


def test_mutual_information_rejects_bad_input():
    with pytest.raises(ValueError, match=r"\(N, d\)"):
        mutual_information(torch.zeros(5, 2), torch.zeros(5, 3))
    with pytest.raises(ValueError, match="at least 2"):
        mutual_information(torch.zeros(1, 2), torch.zeros(1, 2))


# ---------------------------------------------------------------- posterior_stats


def test_posterior_stats_batches_and_concatenates():
    weight = torch.nn.Parameter(torch.tensor(2.0))
    batches = []

    def encode(xb):
        batches.append(xb.shape[0])
        return DiagonalGaussian(xb * weight, (xb - 1.0) * weight)

    x = torch.arange(14.0).reshape(7, 2)
    mean, logvar = posterior_stats(encode, x, batch_size=3)
    assert batches == [3, 3, 1]
    assert mean.shape == logvar.shape == (7, 2)
    torch.testing.assert_close(mean, 2 * x)
    torch.testing.assert_close(logvar, 2 * (x - 1))
    assert not mean.requires_grad and not logvar.requires_grad  # run under no_grad


def test_posterior_stats_accepts_mean_attribute():
    def encode(xb):
        return SimpleNamespace(mean=xb + 1, logvar=torch.zeros_like(xb))

    mean, logvar = posterior_stats(encode, torch.zeros(5, 3), batch_size=2)
    torch.testing.assert_close(mean, torch.ones(5, 3))
    torch.testing.assert_close(logvar, torch.zeros(5, 3))


def test_posterior_stats_rejects_deterministic_encoder():
    with pytest.raises(ValueError, match="PointMass"):
        posterior_stats(lambda xb: PointMass(xb), torch.zeros(4, 2))
