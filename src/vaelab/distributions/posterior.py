"""Posterior heads: the last encoder layer, mapping features h to q(z|x).

Each head is one linear layer followed by a fixed transform, so the hidden layers
(``vaelab.nn``) stay free of probability code.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from vaelab.distributions.base import DiagonalGaussian, PointMass


class GaussianPosteriorHead(nn.Module):
    """q(z|x) = N(mu, diag(exp(logvar))) with unconstrained mu and log-variance (Bettencourt & Craddock, sec. 2.3.1)."""

    def __init__(self, in_features: int, latent_dim: int):
        super().__init__()
        self.latent_dim = latent_dim
        self.linear = nn.Linear(in_features, 2 * latent_dim)

    def params(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, logvar = self.linear(h).chunk(2, dim=-1)  # (B, d), (B, d)
        return mean, logvar

    def forward(self, h: torch.Tensor) -> DiagonalGaussian:
        return DiagonalGaussian(*self.params(h))


class BoundedGaussianHead(GaussianPosteriorHead):
    """Bounded latents (Cho): mean = m * tanh(a), log-variance = s * tanh(b) - v.

    With m = 3 every posterior mean lies inside +-3 prior standard deviations; with
    s = 1, v = 0 the log-variance lies in [-1, 1], so no posterior "bubble" can grow or
    shrink without limit.
    """

    def __init__(self, in_features: int, latent_dim: int, m: float = 3.0, s: float = 1.0, v: float = 0.0,
                 bound: str = "both"):
        super().__init__(in_features, latent_dim)
        if m <= 0 or s < 0:
            raise ValueError("bounded posterior needs m > 0 and s >= 0")
        if bound not in ("both", "mean", "logvar"):
            raise ValueError(f"bound must be both, mean or logvar, not {bound!r}")
        self.m, self.s, self.v, self.bound = float(m), float(s), float(v), bound

    def params(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = self.linear(h).chunk(2, dim=-1)  # (B, d), (B, d)
        mean = self.m * torch.tanh(a) if self.bound != "logvar" else a
        logvar = self.s * torch.tanh(b) - self.v if self.bound != "mean" else b
        return mean, logvar

    def extra_repr(self) -> str:
        return f"bound={self.bound}, m={self.m}, s={self.s}, v={self.v}"


class ConstantVarianceHead(nn.Module):
    """q(z|x) = N(mu(x), sigma^2 I) with a fixed sigma: the constant-variance VAE (CV-VAE; RAE paper, sec. 2).

    Only the mean is learned; the KL to N(0, I) is then 1/2 ||mu||^2 plus a constant,
    the RAE code penalty with noise of scale sigma injected into the decoder's input.
    """

    def __init__(self, in_features: int, latent_dim: int, std: float = 0.1):
        super().__init__()
        if std <= 0:
            raise ValueError("the constant-variance posterior needs std > 0")
        self.latent_dim = latent_dim
        self.linear = nn.Linear(in_features, latent_dim)
        self.register_buffer("logvar", torch.tensor(2.0 * math.log(std)), persistent=False)

    def forward(self, h: torch.Tensor) -> DiagonalGaussian:
        mean = self.linear(h)  # (B, d)
        return DiagonalGaussian(mean, self.logvar.expand_as(mean))

    def extra_repr(self) -> str:
        return f"std={math.exp(0.5 * float(self.logvar)):g}"


class DeterministicHead(nn.Module):
    """A point-mass code z = W h + b (deterministic and regularized autoencoders)."""

    def __init__(self, in_features: int, latent_dim: int):
        super().__init__()
        self.latent_dim = latent_dim
        self.linear = nn.Linear(in_features, latent_dim)

    def forward(self, h: torch.Tensor) -> PointMass:
        return PointMass(self.linear(h))  # (B, d)


POSTERIORS = {
    "gaussian": "diagonal Gaussian, unconstrained mean and log-variance",
    "bounded-gaussian": "diagonal Gaussian, mean = m*tanh, log-variance = s*tanh - v (Cho)",
    "constant-variance": "diagonal Gaussian with a fixed standard deviation (model.posterior_std; CV-VAE)",
    "deterministic": "point mass (deterministic code)",
}


def build_posterior_head(kind: str, in_features: int, latent_dim: int, m=3.0, s=1.0, v=0.0,
                         bound: str = "both", std: float = 0.1) -> nn.Module:
    if kind == "gaussian":
        return GaussianPosteriorHead(in_features, latent_dim)
    if kind == "bounded-gaussian":
        return BoundedGaussianHead(in_features, latent_dim, m=m, s=s, v=v, bound=bound)
    if kind == "constant-variance":
        return ConstantVarianceHead(in_features, latent_dim, std)
    if kind == "deterministic":
        return DeterministicHead(in_features, latent_dim)
    raise ValueError(f"unknown posterior {kind!r}; choose one of {sorted(POSTERIORS)}")
