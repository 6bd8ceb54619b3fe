"""Paths through latent space: straight lines, great circles, rays from the origin."""

from __future__ import annotations

import torch


def lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Linear interpolation: (P, d), (P, d), (S,) -> (P, S, d)."""
    t = t.to(a)[None, :, None]  # (1, S, 1)
    return a[:, None, :] * (1 - t) + b[:, None, :] * t  # (P, S, d)


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Spherical interpolation (Shoemake 1985; White 2016, "Sampling generative networks"): (P, S, d).

    Follows the great circle between the directions of a and b while the norm moves
    linearly from |a| to |b|, so the path stays in the prior's typical shell instead of
    cutting through the low-density region near the origin. Nearly parallel pairs fall
    back to linear interpolation.
    """
    t = t.to(a)[None, :, None]  # (1, S, 1)
    na, nb = a.norm(dim=-1, keepdim=True), b.norm(dim=-1, keepdim=True)  # (P, 1)
    ua, ub = a / na.clamp_min(eps), b / nb.clamp_min(eps)  # (P, d)
    omega = torch.arccos((ua * ub).sum(-1, keepdim=True).clamp(-1 + eps, 1 - eps))[:, None, :]  # (P, 1, 1)
    so = torch.sin(omega)
    direction = (torch.sin((1 - t) * omega) * ua[:, None] + torch.sin(t * omega) * ub[:, None]) / so  # (P, S, d)
    radius = na[:, None] * (1 - t) + nb[:, None] * t  # (P, S, 1)
    path = direction * radius
    parallel = (so.abs() < 1e-4).expand_as(path)
    return torch.where(parallel, lerp(a, b, t.flatten()), path)


def random_rays(n: int, d: int, radius: float, masked=(), generator: torch.Generator | None = None,
                device=None) -> torch.Tensor:
    """``n`` random end points at Euclidean distance ``radius`` from the origin, with ``masked`` dimensions 0: (n, d).

    The NE-VAE paper (sec. 5.3.2) walks from the origin to such points, then repeats with
    the most active dimensions held at zero to see what the remaining ones encode.
    """
    v = torch.randn(n, d, generator=generator, device=device)  # (n, d)
    if len(masked):
        v[:, list(masked)] = 0.0
    return radius * v / v.norm(dim=1, keepdim=True).clamp_min(1e-12)
