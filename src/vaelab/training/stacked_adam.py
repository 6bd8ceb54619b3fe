"""Adam over stacked parameters (K members along dim 0), each member with its own learning rate.

The update is Adam's (Kingma & Ba 2015, Algorithm 1) in the form of torch's fused kernel:
m <- lerp(m, g, 1 - beta1), v <- beta2 v + (1 - beta2) g^2,
p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps), with L2 weight decay added to g.
Every operation is elementwise, so stacking K members changes nothing: when the members
share one learning rate the fused kernel itself updates the stack (bit-identical to K
single runs' updates given the same gradients); with different rates the same formula runs
as multi-tensor ops with a (K, 1, ...) learning rate (equal to float rounding).

Per-member gradient clipping (:func:`clip_per_member`) clips each member by its own global
norm, as ``torch.nn.utils.clip_grad_norm_`` clips a single run.
"""

from __future__ import annotations

import math

import torch


def member_view(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """(K,) values shaped (K, 1, ..., 1) to broadcast against a stacked tensor ``like`` (K, ...)."""
    return values.reshape(-1, *([1] * (like.dim() - 1)))


class StackedAdam:
    """Adam state for stacked parameters; ``step(grads, lrs)`` updates the parameters in place."""

    def __init__(self, params: list[torch.Tensor], betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 steps: int = 0, exp_avg: list[torch.Tensor] | None = None, exp_avg_sq: list[torch.Tensor] | None = None):
        self.params, self.betas, self.eps, self.weight_decay = params, tuple(betas), eps, weight_decay
        self.exp_avg = exp_avg if exp_avg is not None else [torch.zeros_like(p) for p in params]  # (K, ...) each
        self.exp_avg_sq = exp_avg_sq if exp_avg_sq is not None else [torch.zeros_like(p) for p in params]
        self.steps = steps  # the members of a stack have always taken the same number of steps
        dev = params[0].device
        self._step_t = [torch.tensor(float(steps), device=dev)] * len(params)  # the fused kernel's shared counter

    @torch.no_grad()
    def step(self, grads: list[torch.Tensor], lrs: list[float]) -> None:
        """One update; ``lrs`` holds one learning rate per member."""
        self.steps += 1
        if len(set(lrs)) == 1 and hasattr(torch, "_fused_adam_"):
            self._step_t[0].add_(1)
            torch._fused_adam_(self.params, grads, self.exp_avg, self.exp_avg_sq, [], self._step_t, amsgrad=False,
                               lr=lrs[0], beta1=self.betas[0], beta2=self.betas[1], weight_decay=self.weight_decay,
                               eps=self.eps, maximize=False, grad_scale=None, found_inf=None)
            return
        self._step_t[0].fill_(float(self.steps))
        self._foreach_step(grads, torch.tensor(lrs, dtype=torch.float64))

    def _foreach_step(self, grads: list[torch.Tensor], lrs: torch.Tensor) -> None:
        b1, b2 = self.betas
        if self.weight_decay:
            grads = torch._foreach_add(grads, self.params, alpha=self.weight_decay)
        torch._foreach_lerp_(self.exp_avg, grads, 1 - b1)
        torch._foreach_mul_(self.exp_avg_sq, b2)
        torch._foreach_addcmul_(self.exp_avg_sq, grads, grads, 1 - b2)
        step_size = (lrs / (1 - b1 ** self.steps)).to(torch.float32)  # (K,)
        denom = torch._foreach_sqrt(self.exp_avg_sq)
        torch._foreach_div_(denom, math.sqrt(1 - b2 ** self.steps))
        torch._foreach_add_(denom, self.eps)
        for p, m, d in zip(self.params, self.exp_avg, denom):
            p.sub_(member_view(step_size.to(p.device), p) * m / d)  # (K, ...)


@torch.no_grad()
def clip_per_member(grads: list[torch.Tensor], max_norms: torch.Tensor) -> None:
    """Scale member k's gradients so that their global norm is at most ``max_norms[k]`` (inf: no clipping).

    The coefficient is ``clip_grad_norm_``'s: min(1, max_norm / (norm + 1e-6)).
    """
    norms = torch.stack([g.flatten(1).norm(dim=1) for g in grads], dim=1)  # (K, n_params)
    total = norms.norm(dim=1)  # (K,)
    coef = (max_norms.to(total) / (total + 1e-6)).clamp(max=1.0)  # (K,)
    for g in grads:
        g.mul_(member_view(coef, g))
