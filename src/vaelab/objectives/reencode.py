"""Re-encoding losses of the NE-VAE (NE-VAE paper, eq. 6-9): distance between a code and its re-encoding.

z ~ q(z|x); x_hat = E[p(x|z)]; q(z|x_hat) = N(mu', sigma'^2). Both functions return
one value per example, (B,).
"""

from __future__ import annotations

import math

import torch

LOG_2PI = math.log(2.0 * math.pi)


def reencode_se(z: torch.Tensor, mu2: torch.Tensor) -> torch.Tensor:
    """(1/d) sum_k (z_k - mu'_k)^2 (eq. 7)."""
    return ((z - mu2) ** 2).mean(-1)  # (B,)


def reencode_lp(z: torch.Tensor, mu2: torch.Tensor, logvar2: torch.Tensor, cap: float = 0.0) -> torch.Tensor:
    """sum_k max(-log N(z_k; mu'_k, sigma'_k^2), c) (eq. 8-9); c = -inf leaves it uncapped.

    Per dimension, once z_k is at least e^{-c} likely under the re-encoded posterior the
    term stops pushing (its gradient is zero there).
    """
    nll = 0.5 * (LOG_2PI + logvar2 + (z - mu2) ** 2 * torch.exp(-logvar2))  # (B, d)
    return torch.clamp(nll, min=cap).sum(-1) if math.isfinite(cap) else nll.sum(-1)
