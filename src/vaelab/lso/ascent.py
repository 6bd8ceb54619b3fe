"""Gradient ascent on a predicted property in latent space, all starts at once.

Gómez-Bombarelli et al. 2018 ("Automatic chemical design using a data-driven continuous
representation of molecules", ACS Cent. Sci. 4:268) optimise a property predicted from
the latent code; here every start is one row of a (K, d) tensor that a single Adam
optimiser moves, so K starts cost one batched forward and backward pass per step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from vaelab.lso.progress import step_bar


@dataclass
class AscentPath:
    """Where each start went: one row per recorded step (step 0 = the starts), on the CPU."""

    z: torch.Tensor  # (steps + 1, K, d)
    score: torch.Tensor  # (steps + 1, K) the function ascended, before the penalty
    objective: torch.Tensor  # (steps + 1, K) score - penalty/2 * ||z||^2
    norm: torch.Tensor  # (steps + 1, K) ||z||
    clipped: torch.Tensor  # (steps + 1, K) bool: the step's update was projected back onto the ball
    steps: int
    lr: float
    penalty: float
    max_norm: float | None


def penalised(score: torch.Tensor, z: torch.Tensor, penalty: float) -> torch.Tensor:
    """J(z) = f(z) - lambda * ½ ||z||² per start: (K,), (K, d) -> (K,).

    With lambda = 1 the penalty is log p(z) of the standard normal prior up to a
    constant, so J is the property plus the prior's log-density: it keeps z where the
    prior (and, for a VAE, the training codes) has mass.
    """
    return score - 0.5 * penalty * z.pow(2).sum(-1)


def _project(z: torch.Tensor, max_norm: float | None) -> torch.Tensor:
    """Rows of z (K, d) longer than ``max_norm`` scaled back onto the ball, in place; returns the clipped mask (K,)."""
    norm = z.norm(dim=-1)  # (K,)
    if max_norm is None:
        return torch.zeros_like(norm, dtype=torch.bool)
    over = norm > max_norm  # (K,)
    z.mul_(torch.where(over, max_norm / norm.clamp_min(1e-12), torch.ones_like(norm)).unsqueeze(-1))
    return over


def ascend(f: Callable[[torch.Tensor], torch.Tensor], z0: torch.Tensor, *, steps: int = 500, lr: float = 0.05,
           penalty: float = 0.1, max_norm: float | None = None, progress: bool = False) -> AscentPath:
    """Maximise J(z) = f(z) - penalty * ½ ||z||² from every row of ``z0`` (K, d) with Adam.

    ``f`` maps codes (K, d) to one differentiable value per row (K,), e.g. the
    standardised prediction of :class:`vaelab.lso.predictor.PropertyPredictor`; to
    minimise a property, pass its negative. Adam's moments are per element, so rows
    move independently, exactly as K separate runs would. After every update rows
    outside the ball of radius ``max_norm`` (None: no ball) are projected back onto it.
    ``f``'s parameters are not changed (only z is optimised; their gradients are not kept).
    """
    if steps < 1 or lr <= 0 or penalty < 0:
        raise ValueError(f"ascent needs steps >= 1, lr > 0 and penalty >= 0; got {steps}, {lr}, {penalty}")
    z = z0.detach().clone().float().requires_grad_(True)  # (K, d)
    opt = torch.optim.Adam([z], lr=lr)
    k, d = z.shape
    zs = torch.empty(steps + 1, k, d, device=z.device)  # (steps + 1, K, d)
    scores = torch.empty(steps + 1, k, device=z.device)  # (steps + 1, K)
    clipped = torch.zeros(steps + 1, k, dtype=torch.bool, device=z.device)  # (steps + 1, K)
    with step_bar(progress, "latent ascent", steps) as bar:
        for t in range(steps + 1):
            score = f(z)  # (K,)
            zs[t], scores[t] = z.detach(), score.detach()
            if t == steps:
                break
            opt.zero_grad(set_to_none=True)
            (-penalised(score, z, penalty).sum()).backward(inputs=[z])
            opt.step()
            with torch.no_grad():
                clipped[t + 1] = _project(z, max_norm)
            bar(t + 1, lambda: f"best {scores[t].max().item():.3f}")
    norm = zs.norm(dim=-1)  # (steps + 1, K)
    objective = scores - 0.5 * penalty * norm.pow(2)  # (steps + 1, K)
    return AscentPath(zs.cpu(), scores.cpu(), objective.cpu(), norm.cpu(), clipped.cpu(), steps, lr, penalty, max_norm)
