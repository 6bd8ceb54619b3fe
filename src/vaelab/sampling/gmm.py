"""``gmm``: a Gaussian mixture fitted to the training codes (Ghosh et al. 2020, sec. 4, "GMM" column).

scikit-learn fits the mixture; afterwards only its arrays are kept (weights, means,
full covariances), and drawing is done here with a seeded torch generator: pick a
component by the weights, then mean + L eps. A saved mixture therefore loads and
samples without scikit-learn objects or pickle, and the same seed gives the same codes.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch

from vaelab.errors import DataError
from vaelab.sampling.base import Sampler, register_sampler
from vaelab.sampling.linalg import check_codes, stable_cholesky

COVARIANCES = ("full", "diag", "tied", "spherical")


def full_covariances(cov: np.ndarray, kind: str, k: int, d: int) -> np.ndarray:
    """scikit-learn's ``covariances_`` of any ``covariance_type`` as full matrices (k, d, d)."""
    if kind == "full":
        return np.asarray(cov)  # (k, d, d)
    if kind == "tied":
        return np.broadcast_to(cov, (k, d, d)).copy()  # one (d, d) shared by all
    if kind == "diag":
        return np.stack([np.diag(c) for c in cov])  # (k, d) -> (k, d, d)
    return np.asarray(cov)[:, None, None] * np.eye(d)  # spherical: (k,) -> (k, d, d)


def fit_mixture(codes: np.ndarray, options: dict) -> tuple[dict[str, np.ndarray], dict]:
    """Fit scikit-learn's (Bayesian) GaussianMixture; return its arrays and a few facts about the fit."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import BayesianGaussianMixture, GaussianMixture
    from threadpoolctl import threadpool_limits

    k, kind = options["components"], options["covariance"]
    common = dict(n_components=k, covariance_type=kind, max_iter=options["max_iter"], random_state=options["seed"])
    if options["bayesian"]:  # Dirichlet-process weight prior: unneeded components get weights near 0
        gm = BayesianGaussianMixture(weight_concentration_prior_type="dirichlet_process", **common)
    else:
        gm = GaussianMixture(**common)
    # EM's products are small: BLAS threads cost more than they give (one thread fitted 4,000 x 16
    # codes 3x faster and 50,000 x 64 codes 2x faster on 2 cores).
    with warnings.catch_warnings(), threadpool_limits(1, user_api="blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)  # recorded as "converged" instead
        gm.fit(codes)
    arrays = {"weights": np.asarray(gm.weights_, dtype=np.float64),  # (k,)
              "means": np.asarray(gm.means_, dtype=np.float64),  # (k, d)
              "covariances": full_covariances(gm.covariances_, kind, k, codes.shape[1]).astype(np.float64)}
    facts = {"converged": bool(gm.converged_), "n_iter": int(gm.n_iter_), "lower_bound": float(gm.lower_bound_)}
    return arrays, facts


@register_sampler
class GMMSampler(Sampler):
    """z ~ sum_k w_k N(mu_k, Sigma_k), fitted by EM (or variationally, with ``bayesian``) to the training codes.

    Ghosh et al. 2020, 'From variational to deterministic autoencoders', sec. 4: a
    10-component mixture with full covariances (Table 1, "GMM"). ``bayesian=true``
    uses a Dirichlet-process prior on the weights (Blei & Jordan 2006), so
    ``components`` is an upper bound and surplus components get weights near 0.
    """

    name = "gmm"
    option_defaults = {"components": 10, "covariance": "full", "bayesian": False, "seed": 0, "max_iter": 500}

    def __init__(self, options: dict, device, weights, means, covariances, facts: dict | None = None):
        super().__init__(options, device)
        self.weights = torch.as_tensor(weights, dtype=torch.float64)  # (k,)
        self.means = torch.as_tensor(means, dtype=torch.float64)  # (k, d)
        self.covariances = torch.as_tensor(covariances, dtype=torch.float64)  # (k, d, d)
        self.chol = torch.as_tensor(stable_cholesky(np.asarray(covariances, dtype=np.float64)))  # (k, d, d)
        self.facts = dict(facts or {})

    @classmethod
    def check_options(cls, options: dict) -> None:
        if options["components"] < 1:
            raise ValueError(f"option components={options['components']}: must be at least 1")
        if options["covariance"] not in COVARIANCES:
            raise ValueError(f"option covariance={options['covariance']!r}: choose one of {', '.join(COVARIANCES)}")
        if options["max_iter"] < 1:
            raise ValueError(f"option max_iter={options['max_iter']}: must be at least 1")

    @classmethod
    def fit(cls, codes, options, folder: Path, device, progress: bool = True) -> "GMMSampler":
        check_codes(codes, cls.name)
        if codes.shape[0] < options["components"]:
            raise DataError(f"sampler 'gmm': {options['components']} components need at least as many codes, "
                            f"got {codes.shape[0]}; pass --option components=N with a smaller N")
        arrays, facts = fit_mixture(codes, options)
        return cls(options, device, arrays["weights"], arrays["means"], arrays["covariances"], facts)

    def state(self) -> dict[str, np.ndarray]:
        return {"weights": self.weights.numpy(), "means": self.means.numpy(), "covariances": self.covariances.numpy()}

    @classmethod
    def from_state(cls, arrays, options, folder, device) -> "GMMSampler":
        return cls(options, device, arrays["weights"], arrays["means"], arrays["covariances"])

    def summary(self) -> dict:
        w = np.sort(self.weights.numpy())[::-1]
        return {**self.facts, "weights": [round(float(v), 4) for v in w],
                "effective_components": int((w >= 0.01).sum())}

    def draw(self, n: int, generator: torch.Generator) -> torch.Tensor:
        comp = torch.multinomial(self.weights, n, replacement=True, generator=generator)  # (n,) component ids
        eps = torch.randn(n, self.means.shape[1], generator=generator, dtype=torch.float64)  # (n, d)
        z = torch.empty_like(eps)
        for k in comp.unique().tolist():  # a loop over components, not over examples
            idx = comp == k
            z[idx] = self.means[k] + eps[idx] @ self.chol[k].T  # (n_k, d)
        return z
