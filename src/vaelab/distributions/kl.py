"""Analytic KL divergences, per latent dimension."""

from __future__ import annotations

import torch

from vaelab.distributions.base import DiagonalGaussian, Distribution


def kl_divergence(q: Distribution, p) -> torch.Tensor:
    """KL(q || p) per latent dimension: (*batch, latent_dim), in nats.

    For a diagonal Gaussian q against the standard normal prior this is
    0.5 * (mu^2 + sigma^2 - 1 - log sigma^2) (Kingma & Welling 2013, appendix B;
    Cho, "Helping VAE by Regularizing Latent Vector", the L_KLD formula).
    """
    from vaelab.distributions.prior import StandardNormalPrior

    if isinstance(q, DiagonalGaussian) and isinstance(p, StandardNormalPrior):
        return 0.5 * (q.loc * q.loc + torch.exp(q.logvar) - 1.0 - q.logvar)  # (*B, d)
    if isinstance(q, DiagonalGaussian) and isinstance(p, DiagonalGaussian):
        var_ratio = torch.exp(q.logvar - p.logvar)
        diff = (q.loc - p.loc) ** 2 * torch.exp(-p.logvar)
        return 0.5 * (var_ratio + diff - 1.0 - (q.logvar - p.logvar))
    raise NotImplementedError(
        f"no analytic KL between {type(q).__name__} and {type(p).__name__}; "
        "use a Monte Carlo estimate (log q(z) - log p(z))"
    )
