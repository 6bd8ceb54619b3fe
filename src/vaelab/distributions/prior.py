"""Priors p(z) as modules, so they follow the model across devices."""

from __future__ import annotations

import torch
from torch import nn

from vaelab.distributions.base import LOG_2PI


class StandardNormalPrior(nn.Module):
    """p(z) = N(0, I) over ``latent_dim`` dimensions."""

    def __init__(self, latent_dim: int):
        super().__init__()
        self.latent_dim = latent_dim
        self.register_buffer("_zero", torch.zeros(()), persistent=False)

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log N(z; 0, I) summed over the last dimension: (*B, d) -> (*B,)."""
        return -0.5 * (LOG_2PI * z.shape[-1] + (z * z).sum(-1))

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return torch.randn(n, self.latent_dim, device=self._zero.device, generator=generator)
