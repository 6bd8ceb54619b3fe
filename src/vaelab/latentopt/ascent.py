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

from vaelab.progress import bar as progress_bar
from vaelab.progress import steps_per_redraw


@dataclass
class AscentPath:
    """Where each start went: one row per recorded step (step 0 = the starts), on the CPU."""

    z: torch.Tensor  # (steps + 1, K, d)
    score: torch.Tensor  # (steps + 1, K) the function ascended, before the penalty
    objective: torch.Tensor  # (steps + 1, K) score - penalty/2 * ||z||^2
    norm: torch.Tensor  # (steps + 1, K) ||z||
    clipped: torch.Tensor  # (steps + 1, K) bool: the step's update was projected back into the box or ball
    steps: int
    lr: float
    penalty: float
    max_norm: float | None
    box: tuple[torch.Tensor, torch.Tensor] | None = None  # per-dimension bounds (d,), (d,)


def penalised(score: torch.Tensor, z: torch.Tensor, penalty: float) -> torch.Tensor:
    """J(z) = f(z) - lambda * ½ ||z||² per start: (K,), (K, d) -> (K,).

    With lambda = 1 the penalty is the log-density of N(0, I) up to a constant: of the
    prior when z is the latent code, of a Gaussian fitted to the training codes when z
    are whitened coordinates (:class:`vaelab.latentopt.code_stats.CodeStats`). Either way it
    keeps z where that Gaussian has mass.
    """
    return score - 0.5 * penalty * z.pow(2).sum(-1)


def _project(z: torch.Tensor, max_norm: float | None, box) -> torch.Tensor:
    """z (K, d) clamped into the box, then rows longer than ``max_norm`` scaled back onto the ball, in place.

    Returns which rows were moved (K,).
    """
    moved = torch.zeros(z.shape[0], dtype=torch.bool, device=z.device)  # (K,)
    if box is not None:
        lo, hi = box  # (d,), (d,)
        moved |= ((z < lo) | (z > hi)).any(-1)
        torch.maximum(z, lo, out=z)
        torch.minimum(z, hi, out=z)
    if max_norm is not None:
        norm = z.norm(dim=-1)  # (K,)
        over = norm > max_norm  # (K,)
        z.mul_(torch.where(over, max_norm / norm.clamp_min(1e-12), torch.ones_like(norm)).unsqueeze(-1))
        moved |= over
    return moved


def ascend(f: Callable[[torch.Tensor], torch.Tensor], z0: torch.Tensor, *, steps: int = 500, lr: float = 0.05,
           penalty: float = 0.1, max_norm: float | None = None, box=None, progress: bool = False) -> AscentPath:
    """Maximise J(z) = f(z) - penalty * ½ ||z||² (:func:`penalised`) from every row of ``z0`` (K, d) with Adam.

    ``f`` maps codes (K, d) to one differentiable value per row (K,), e.g. the
    standardised prediction of :class:`vaelab.latentopt.predictor.PropertyPredictor`; to
    minimise a property, pass its negative. Adam's moments are per element, so rows
    move independently, exactly as K separate runs would. After every update each
    coordinate is clamped into ``box`` (``(lo, hi)``, each (d,); None: no box), then rows
    outside the ball of radius ``max_norm`` (None: no ball) are projected back onto it.
    ``f``'s parameters are not changed (only z is optimised; their gradients are not kept).
    """
    if steps < 1 or lr <= 0 or penalty < 0:
        raise ValueError(f"ascent needs steps >= 1, lr > 0 and penalty >= 0; got {steps}, {lr}, {penalty}")
    z = z0.detach().clone().float().requires_grad_(True)  # (K, d)
    box = None if box is None else tuple(torch.as_tensor(b, dtype=torch.float32, device=z.device) for b in box)
    opt = torch.optim.Adam([z], lr=lr)
    k, d = z.shape
    zs = torch.empty(steps + 1, k, d, device=z.device)  # (steps + 1, K, d)
    scores = torch.empty(steps + 1, k, device=z.device)  # (steps + 1, K)
    objective = torch.empty(steps + 1, k, device=z.device)  # (steps + 1, K)
    clipped = torch.zeros(steps + 1, k, dtype=torch.bool, device=z.device)  # (steps + 1, K)
    with progress_bar("lso: latent ascent", steps, progress, kind="stats", every=steps_per_redraw(steps)) as bar:
        for t in range(steps + 1):
            score = f(z)  # (K,)
            value = penalised(score, z, penalty)  # (K,)
            zs[t], scores[t], objective[t] = z.detach(), score.detach(), value.detach()
            if t == steps:
                break
            opt.zero_grad(set_to_none=True)
            (-value.sum()).backward(inputs=[z])
            opt.step()
            with torch.no_grad():
                clipped[t + 1] = _project(z, max_norm, box)
            bar(t + 1, lambda: f"best {scores[t].max().item():.3f}")
    norm = zs.norm(dim=-1)  # (steps + 1, K)
    box = None if box is None else (box[0].cpu(), box[1].cpu())
    return AscentPath(zs.cpu(), scores.cpu(), objective.cpu(), norm.cpu(), clipped.cpu(), steps, lr, penalty, max_norm,
                      box)
