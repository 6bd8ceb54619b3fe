"""``gaussian``: one full-covariance Gaussian fitted to the training codes (Ghosh et al. 2020, sec. 4)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from vaelab.sampling.base import Sampler, register_sampler
from vaelab.sampling.linalg import check_codes, stable_cholesky


def fit_gaussian(codes: np.ndarray, ridge: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """Mean (d,) and covariance (d, d) of codes (N, d), plus ``ridge`` x mean variance on the diagonal."""
    mean = codes.mean(axis=0)  # (d,)
    centred = codes - mean  # (N, d)
    cov = centred.T @ centred / max(codes.shape[0] - 1, 1)  # (d, d), unbiased
    cov += ridge * max(float(np.trace(cov)) / cov.shape[0], 1e-12) * np.eye(cov.shape[0])
    return mean, cov


def gaussian_draw(mean: torch.Tensor, chol: torch.Tensor, n: int, generator: torch.Generator) -> torch.Tensor:
    """n draws mean + L eps, eps ~ N(0, I): (n, d) in float64."""
    eps = torch.randn(n, mean.shape[0], generator=generator, dtype=torch.float64)  # (n, d)
    return mean + eps @ chol.T  # (n, d)


@register_sampler
class GaussianSampler(Sampler):
    """z ~ N(mu, Sigma), mu and Sigma the mean and covariance of the training codes.

    Ghosh et al. 2020, 'From variational to deterministic autoencoders', sec. 4: the
    "N" column of Table 1 (ex-post density estimation with one Gaussian).
    """

    name = "gaussian"
    option_defaults = {"ridge": 1e-6}

    def __init__(self, options: dict, device, mean: np.ndarray, cov: np.ndarray):
        super().__init__(options, device)
        self.mean = torch.as_tensor(mean, dtype=torch.float64)  # (d,)
        self.cov = torch.as_tensor(cov, dtype=torch.float64)  # (d, d)
        self.chol = torch.as_tensor(stable_cholesky(np.asarray(cov, dtype=np.float64)))  # (d, d), lower

    @classmethod
    def check_options(cls, options: dict) -> None:
        if options["ridge"] < 0:
            raise ValueError(f"option ridge={options['ridge']}: must be >= 0")

    @classmethod
    def fit(cls, codes, options, folder: Path, device, progress: bool = True) -> "GaussianSampler":
        check_codes(codes, cls.name)
        return cls(options, device, *fit_gaussian(codes, options["ridge"]))

    def state(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean.numpy(), "covariance": self.cov.numpy()}

    @classmethod
    def from_state(cls, arrays, options, folder, device) -> "GaussianSampler":
        return cls(options, device, arrays["mean"], arrays["covariance"])

    def draw(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return gaussian_draw(self.mean, self.chol, n, generator)
