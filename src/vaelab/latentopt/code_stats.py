"""Where the training codes lie: their range per dimension and a full-covariance Gaussian fitted to them.

Both keep the ascent near the data. A VAE's codes need not fill the prior: after
(partial) posterior collapse they occupy a thin, correlated region of it, and a
predictor trained on them extrapolates as soon as a path leaves that region, while the
decoder barely changes what it decodes (the molecules stay the same, the prediction
soars). In whitened coordinates u, z = mu + C u with Sigma = C C^T, the Gaussian is
N(0, I): the ascent's penalty ½||u||² is its log-density, the ball ||u|| <= r a bound
on the Mahalanobis distance, and Adam's step is measured in the codes' own spread,
whatever the model's scale. (Ghosh et al. 2020, sec. 4, fit the same Gaussian to
sample from: the ``gaussian`` sampler.) Saved as ``codes.safetensors`` beside the predictor, through the run's fit store.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from vaelab.sampling.gaussian import fit_gaussian
from vaelab.sampling.linalg import stable_cholesky

FILE = "codes.safetensors"


@dataclass
class CodeStats:
    lo: torch.Tensor  # (d,) smallest training code per dimension
    hi: torch.Tensor  # (d,) largest
    mean: torch.Tensor  # (d,)
    chol: torch.Tensor  # (d, d) lower C with Sigma = C C^T
    whiten: torch.Tensor  # (d, d) C^-1

    @classmethod
    def fit(cls, z: torch.Tensor) -> "CodeStats":
        """From training codes z (N, d)."""
        codes = z.detach().double().cpu().numpy()  # (N, d)
        mean, cov = fit_gaussian(codes)  # (d,), (d, d) with a small ridge: collapsed dimensions stay invertible
        chol = stable_cholesky(cov)  # (d, d) lower
        whiten = np.linalg.solve(chol, np.eye(len(mean)))  # (d, d) C^-1
        as_t = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float32)  # noqa: E731
        return cls(as_t(codes.min(0)), as_t(codes.max(0)), as_t(mean), as_t(chol), as_t(whiten))

    @property
    def box(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.lo, self.hi

    def to(self, device) -> "CodeStats":
        return CodeStats(*(v.to(device) for v in vars(self).values()))

    def whitened(self, z: torch.Tensor) -> torch.Tensor:
        """u = C^-1 (z - mu): codes (..., d) -> whitened coordinates (..., d)."""
        return (z - self.mean) @ self.whiten.T

    def codes(self, u: torch.Tensor) -> torch.Tensor:
        """z = mu + C u: whitened coordinates (..., d) -> codes (..., d)."""
        return self.mean + u @ self.chol.T
