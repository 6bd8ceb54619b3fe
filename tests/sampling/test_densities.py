"""The density samplers on known distributions: fitting recovers parameters, drawing follows them."""

import numpy as np
import pytest
import torch

from vaelab.errors import ConfigError, DataError
from vaelab.sampling import SAMPLERS, parse_options, resolve_options
from vaelab.sampling.gaussian import GaussianSampler
from vaelab.sampling.gmm import GMMSampler, full_covariances
from vaelab.sampling.linalg import stable_cholesky

MEANS = np.array([[-4.0, 0.0], [4.0, 0.0], [0.0, 5.0]])
WEIGHTS = np.array([0.5, 0.3, 0.2])
COVS = np.array([[[1.0, 0.3], [0.3, 0.5]], [[0.4, 0.0], [0.0, 0.4]], [[0.6, -0.2], [-0.2, 0.8]]])


def mixture_draws(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    k = rng.choice(3, n, p=WEIGHTS)
    eps = rng.standard_normal((n, 2))
    return MEANS[k] + np.einsum("nij,nj->ni", np.linalg.cholesky(COVS)[k], eps)  # (n, 2)


def match(means: np.ndarray) -> np.ndarray:
    """For each true component, the index of the nearest fitted mean."""
    return np.linalg.norm(MEANS[:, None] - means[None], axis=-1).argmin(1)


@pytest.mark.parametrize("bayesian", [False, True])
def test_gmm_recovers_a_known_mixture(bayesian, tmp_path):
    options = resolve_options(GMMSampler, {"components": 6 if bayesian else 3, "bayesian": bayesian})
    s = GMMSampler.fit(mixture_draws(3000), options, tmp_path, "cpu")
    idx = match(s.means.numpy())
    assert len(set(idx)) == 3
    np.testing.assert_allclose(s.means.numpy()[idx], MEANS, atol=0.1)
    np.testing.assert_allclose(s.weights.numpy()[idx], WEIGHTS, atol=0.03)
    np.testing.assert_allclose(s.covariances.numpy()[idx], COVS, atol=0.1)
    assert s.summary()["effective_components"] == 3  # bayesian: the Dirichlet process empties the surplus three


def test_gmm_draws_follow_its_weights_means_and_covariances():
    s = GMMSampler(resolve_options(GMMSampler, {"components": 3}), "cpu", WEIGHTS, MEANS, COVS)
    z = s.sample(20000, seed=1).numpy().astype(np.float64)  # (20000, 2)
    k = np.linalg.norm(z[:, None] - MEANS[None], axis=-1).argmin(1)  # well separated: nearest mean = component
    np.testing.assert_allclose(np.bincount(k, minlength=3) / len(z), WEIGHTS, atol=0.015)
    for j in range(3):
        np.testing.assert_allclose(z[k == j].mean(0), MEANS[j], atol=0.05)
        np.testing.assert_allclose(np.cov(z[k == j].T), COVS[j], atol=0.08)


def test_gaussian_recovers_a_known_mean_and_covariance(tmp_path):
    rng = np.random.default_rng(0)
    mean = np.array([1.0, -2.0, 0.5])
    a = np.array([[1.0, 0.0, 0.0], [0.5, 0.8, 0.0], [-0.3, 0.2, 0.4]])
    codes = mean + rng.standard_normal((20000, 3)) @ a.T
    s = GaussianSampler.fit(codes, resolve_options(GaussianSampler, None), tmp_path, "cpu")
    np.testing.assert_allclose(s.mean.numpy(), mean, atol=0.03)
    np.testing.assert_allclose(s.cov.numpy(), a @ a.T, atol=0.03)
    z = s.sample(20000, seed=0).double().numpy()  # draws through the Cholesky factor
    np.testing.assert_allclose(z.mean(0), mean, atol=0.03)
    np.testing.assert_allclose(np.cov(z.T), a @ a.T, atol=0.04)


def test_gaussian_survives_a_collapsed_dimension(tmp_path):
    codes = np.random.default_rng(0).standard_normal((500, 3))
    codes[:, 1] = 0.25  # a collapsed unit: its code never changes
    s = GaussianSampler.fit(codes, resolve_options(GaussianSampler, None), tmp_path, "cpu")
    z = s.sample(100, seed=0)
    assert torch.isfinite(z).all() and torch.allclose(z[:, 1], torch.tensor(0.25), atol=5e-3)


@pytest.mark.parametrize("kind", ["diag", "tied", "spherical"])
def test_gmm_covariance_kinds_are_stored_as_full_matrices(kind, tmp_path):
    s = GMMSampler.fit(mixture_draws(600), resolve_options(GMMSampler, {"components": 3, "covariance": kind}),
                       tmp_path, "cpu")
    cov = s.state()["covariances"]
    assert cov.shape == (3, 2, 2)
    if kind != "tied":
        assert np.allclose(cov[:, 0, 1], 0.0)
    assert s.sample(5, seed=0).shape == (5, 2)


def test_full_covariances_and_stable_cholesky():
    assert full_covariances(np.array([1.0, 2.0]), "spherical", 2, 3).shape == (2, 3, 3)
    singular = np.array([[1.0, 1.0], [1.0, 1.0]])  # rank 1
    low = stable_cholesky(singular)
    np.testing.assert_allclose(low @ low.T, singular, atol=1e-6)


def test_gmm_with_more_components_than_codes_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="components=N"):
        GMMSampler.fit(mixture_draws(5), resolve_options(GMMSampler, None), tmp_path, "cpu")


def test_options_are_checked_against_the_declared_defaults():
    gmm = SAMPLERS["gmm"]
    assert resolve_options(gmm, {"components": 4})["components"] == 4
    with pytest.raises(ConfigError, match=r"Did you mean 'components'\?.*Valid options: components"):
        resolve_options(gmm, {"component": 4})
    with pytest.raises(ConfigError, match="must be an integer"):
        resolve_options(gmm, {"components": True})  # a bool is not a count
    with pytest.raises(ConfigError, match="must be true or false"):
        resolve_options(gmm, {"bayesian": "yes"})
    with pytest.raises(ConfigError, match="choose one of full, diag"):
        resolve_options(gmm, {"covariance": "ful"})
    assert resolve_options(SAMPLERS["gaussian"], {"ridge": 0})["ridge"] == 0.0  # an int is a float
    with pytest.raises(ConfigError, match="Valid options: none"):
        resolve_options(SAMPLERS["prior"], {"k": 1})
    assert parse_options(["components=5", "bayesian=true", "hidden=[8, 8]", "covariance=diag"]) == {
        "components": 5, "bayesian": True, "hidden": [8, 8], "covariance": "diag"}
    with pytest.raises(ConfigError, match="key=value"):
        parse_options(["components"])
