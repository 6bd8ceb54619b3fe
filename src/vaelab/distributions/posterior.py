"""Posterior heads: the last encoder layer, mapping features h to q(z|x).

Each head is one linear layer followed by a fixed transform, so the hidden layers
(``vaelab.nn``) stay free of probability code.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

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


class BatchNormMeanHead(GaussianPosteriorHead):
    """BN-VAE (Zhu et al. 2020, "A batch normalized inference network keeps the KL vanishing away", sec. 4):
    the posterior means are batch-normalised with a fixed scale, mu_hat = gamma * (mu - mu_B) / sigma_B + beta.

    gamma is fixed (a buffer) and the shift beta is learned, one per dimension. Over a
    batch each dimension's mu_hat then has mean beta and variance gamma^2, so the batch
    mean of KL_j = 1/2 (mu_hat^2 + sigma^2 - 1 - log sigma^2) is at least (gamma^2 + beta_j^2) / 2
    >= gamma^2 / 2: no dimension's KL can vanish (their sec. 4). mu_B and sigma_B^2 (biased,
    plus eps) are the batch's statistics in training mode and running averages in eval mode,
    as in batch norm; the log-variance is left as it is. eps is 1e-8, not batch norm's usual
    1e-5: the normalised spread is gamma^2 * var_B / (var_B + eps), and near collapse var_B is
    small, which is exactly where the floor must hold.
    """

    min_batch_size = 2  # vaelab.nn.batching.batch_minimum
    min_batch_reason = "BN-VAE's head normalises the posterior means over the batch"

    def __init__(self, in_features: int, latent_dim: int, gamma: float = 0.6, momentum: float = 0.1,
                 eps: float = 1e-8):
        super().__init__(in_features, latent_dim)
        if gamma <= 0:
            raise ValueError("the BN-VAE posterior needs gamma > 0")
        self.momentum, self.eps = momentum, eps
        self.shift = nn.Parameter(torch.zeros(latent_dim))  # their beta (not the KL weight), learned
        self.register_buffer("gamma", torch.tensor(float(gamma)))  # fixed: not a parameter
        self.register_buffer("running_mean", torch.zeros(latent_dim))
        self.register_buffer("running_var", torch.ones(latent_dim))

    def params(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, logvar = self.linear(h).chunk(2, dim=-1)  # (B, d), (B, d)
        weight = self.gamma.expand(self.latent_dim)  # (d,)
        mean = F.batch_norm(mean, self.running_mean, self.running_var, weight, self.shift,
                            training=self.training, momentum=self.momentum, eps=self.eps)  # (B, d)
        return mean, logvar

    def extra_repr(self) -> str:
        return f"gamma={float(self.gamma):g}"


def committed_variance(delta: float) -> float:
    """sigma_u^2 < 1 with 1/2 (sigma_u^2 - 1 - log sigma_u^2) = delta: the posterior variance whose KL floor is delta.

    The root below 1 of s - 1 - log s = 2 delta, i.e. s = -W_0(-exp(-1 - 2 delta)) (W_0 the
    principal Lambert W), found by bisection on log s in [-1 - 2 delta, 0], where the
    left side falls monotonically from above 2 delta to 0.
    """
    if delta <= 0:
        raise ValueError("the committed rate delta must be > 0")
    lo, hi = -1.0 - 2.0 * delta, 0.0  # log s; excess(lo) = exp(lo) > 0, excess(hi) = -2 delta < 0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if math.exp(mid) - 1.0 - mid > 2.0 * delta else (lo, mid)
    return math.exp(0.5 * (lo + hi))


class CommittedRateHead(GaussianPosteriorHead):
    """delta-VAE's independent Gaussian case (Razavi et al. 2019, "Preventing posterior collapse with
    delta-VAEs", sec. 2): the posterior variance is kept below sigma_u^2 < 1, the prior's being 1.

    With p(z) = N(0, 1) and q = N(mu, sigma^2), KL_j = 1/2 (mu^2 + sigma^2 - 1 - log sigma^2)
    >= 1/2 (sigma^2 - 1 - log sigma^2), which falls on (0, 1]; so sigma^2 in (0, sigma_u^2]
    gives KL_j >= 1/2 (sigma_u^2 - 1 - log sigma_u^2) = delta for every x, whatever mu: a
    committed rate of delta nats per dimension. sigma_u^2 is :func:`committed_variance`
    (delta); the head's log-variance is log sigma_u^2 - softplus(b), their range [sigma_l^2,
    sigma_u^2] with sigma_l -> 0 (the lower end does not enter the rate).
    """

    def __init__(self, in_features: int, latent_dim: int, delta: float = 0.1):
        super().__init__(in_features, latent_dim)
        self.delta = float(delta)
        self.register_buffer("max_logvar", torch.tensor(math.log(committed_variance(delta))), persistent=False)

    def params(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, b = self.linear(h).chunk(2, dim=-1)  # (B, d), (B, d)
        return mean, self.max_logvar - F.softplus(b)  # log-variance <= log sigma_u^2

    def extra_repr(self) -> str:
        return f"delta={self.delta:g}, max_var={math.exp(float(self.max_logvar)):.6g}"


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
    "bn-gaussian": "diagonal Gaussian, means batch-normalised with a fixed scale (model.bn_gamma; BN-VAE)",
    "delta-gaussian": "diagonal Gaussian, variance <= sigma_u^2 < 1 so that every KL_j >= model.committed_rate "
                      "(delta-VAE)",
    "constant-variance": "diagonal Gaussian with a fixed standard deviation (model.posterior_std; CV-VAE)",
    "deterministic": "point mass (deterministic code)",
}


def build_posterior_head(kind: str, in_features: int, latent_dim: int, m=3.0, s=1.0, v=0.0,
                         bound: str = "both", std: float = 0.1, gamma: float = 0.6, delta: float = 0.1) -> nn.Module:
    if kind == "gaussian":
        return GaussianPosteriorHead(in_features, latent_dim)
    if kind == "bounded-gaussian":
        return BoundedGaussianHead(in_features, latent_dim, m=m, s=s, v=v, bound=bound)
    if kind == "bn-gaussian":
        return BatchNormMeanHead(in_features, latent_dim, gamma=gamma)
    if kind == "delta-gaussian":
        return CommittedRateHead(in_features, latent_dim, delta=delta)
    if kind == "constant-variance":
        return ConstantVarianceHead(in_features, latent_dim, std)
    if kind == "deterministic":
        return DeterministicHead(in_features, latent_dim)
    raise ValueError(f"unknown posterior {kind!r}; choose one of {sorted(POSTERIORS)}")
