"""When an optimisation path has converged, and how far apart the codes of several starts end up.

Both LSO modes record one curve per path (the loss of the match task, the objective
of the property ascent) and share these definitions, so their "steps to converge"
mean the same thing.
"""

from __future__ import annotations

import torch

#: share of the tail of the budget inspected by :func:`still_moving`
TAIL = 0.1


def converged_step(curves: torch.Tensor, tol: float = 0.01) -> torch.Tensor:
    """The first step from which each curve stays within ``tol`` of the way from its start to its end.

    ``curves`` (steps + 1, P): one value per step (step 0 = the start) for P paths.
    Path p has converged at step t when |c_s - c_end| <= tol * |c_0 - c_end| for
    every s >= t: the value has covered (1 - tol) of its total change and stays
    there (a later excursion moves the step later). Scale-free, so figures of
    different models and losses compare. A curve that does not change converges at
    step 0. Returns (P,) int64.
    """
    end = curves[-1]  # (P,)
    allowed = tol * (curves[0] - end).abs()  # (P,)
    dev = (curves - end).abs()  # (steps + 1, P)
    suffix_max = dev.flip(0).cummax(0).values.flip(0)  # (steps + 1, P): max over s >= t
    inside = suffix_max <= allowed + 1e-12 * end.abs().clamp_min(1.0)  # (steps + 1, P)
    return inside.to(torch.int8).argmax(0)  # (P,) first True; the last step is always inside


def still_moving(curves: torch.Tensor, tol: float = 0.01, tail: float = TAIL) -> torch.Tensor:
    """Whether each curve still changed by more than ``tol`` of its total change over the last ``tail`` of steps.

    A path that is still moving at the end of the budget has no reliable convergence
    step; the reports give the share of such paths and suggest more steps. Returns (P,) bool.
    """
    n = curves.shape[0] - 1
    back = max(1, int(round(tail * n)))
    total = (curves[0] - curves[-1]).abs()  # (P,)
    late = (curves[n - back] - curves[-1]).abs()  # (P,)
    return late > tol * total + 1e-12


def pairwise_sq_dist(z: torch.Tensor) -> torch.Tensor:
    """Mean squared Euclidean distance between the codes of different starts, per group.

    ``z`` (G, S, d): S codes for each of G groups (targets). The NE-VAE paper (sec. 5.4)
    compares models by "the squared Euclidean distance between codes converged to after
    different initialization". Returns (G,); 0 when S = 1.
    """
    s = z.shape[1]
    if s < 2:
        return torch.zeros(z.shape[0], dtype=z.dtype, device=z.device)
    d2 = torch.cdist(z, z).pow(2)  # (G, S, S), zero diagonal
    return d2.sum((1, 2)) / (s * (s - 1))  # (G,) mean over ordered pairs i != j


def code_std(z: torch.Tensor) -> torch.Tensor:
    """Root mean (over dimensions) variance of the codes across starts, per group: (G, S, d) -> (G,)."""
    if z.shape[1] < 2:
        return torch.zeros(z.shape[0], dtype=z.dtype, device=z.device)
    return z.var(1, unbiased=True).mean(-1).sqrt()  # (G,)
