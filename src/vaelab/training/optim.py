"""Optimizer construction: Adam with a fused kernel and a lean step where the build allows it."""

from __future__ import annotations

import warnings

import torch


class LeanFusedAdam(torch.optim.Adam):
    """``torch.optim.Adam(fused=True)`` whose steady-state step is two kernel calls.

    The stock ``step()`` regroups tensors by device and dtype and walks Python
    bookkeeping on every call; for a small MLP that costs as much as the update
    itself. Once the state exists, this class caches the per-group tensor lists and
    calls the same fused kernel directly, so the update is bit-identical to the stock
    one (a test checks it). Anything unusual (a closure, a missing gradient, sparse
    or complex parameters, AMSGrad) goes through the stock path.
    """

    def __init__(self, params, **kwargs):
        super().__init__(params, fused=True, **kwargs)
        self._lists = None

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        self._lists = None

    def _build_lists(self) -> None:
        """Cache each group's tensor lists; parameters that stepped together share one step counter."""
        lists = []
        for group in self.param_groups:
            params = list(group["params"])
            state = [self.state.get(p, {}) for p in params]
            if group["amsgrad"] or group["maximize"] or any("exp_avg" not in st for st in state):
                self._lists = None
                return
            steps = [st["step"] for st in state]
            shared = all(bool(t == steps[0]) for t in steps)
            if shared:  # one private counter, incremented once per step, read by every tensor's update
                steps = [steps[0].clone()] * len(params)
            lists.append((params, [st["exp_avg"] for st in state], [st["exp_avg_sq"] for st in state], steps, shared))
        self._lists = lists

    def _sync_steps(self) -> None:
        """Copy the private shared counters back into each parameter's state."""
        for group, (params, _, _, steps, shared) in zip(self.param_groups, self._lists or []):
            if shared:
                for p in params:
                    self.state[p]["step"].copy_(steps[0])

    def state_dict(self):
        self._sync_steps()
        return super().state_dict()

    @torch.no_grad()
    def step(self, closure=None):
        if closure is not None or self._lists is None:
            self._sync_steps()
            loss = super().step(closure)
            self._build_lists()
            return loss
        self.lean_step()
        return None

    @torch.no_grad()
    def lean_step(self) -> None:
        """The update without ``Optimizer.step``'s hook and profiling wrapper (the trainer's hot path)."""
        if self._lists is None:
            self.step()
            return
        for group, (params, exp_avgs, exp_avg_sqs, steps, shared) in zip(self.param_groups, self._lists):
            grads = [p.grad for p in params]
            if any(g is None for g in grads):
                self._sync_steps()
                self._lists = None
                self.step()
                return
            if shared:
                steps[0].add_(1)
            else:
                torch._foreach_add_(steps, 1)
            torch._fused_adam_(params, grads, exp_avgs, exp_avg_sqs, [], steps, amsgrad=False,
                               lr=group["lr"], beta1=group["betas"][0], beta2=group["betas"][1],
                               weight_decay=group["weight_decay"], eps=group["eps"], maximize=False,
                               grad_scale=None, found_inf=None)

    def zero_grad(self, set_to_none: bool = True) -> None:
        if not set_to_none:
            return super().zero_grad(set_to_none=False)
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None


def make_adam(params, cfg, device: torch.device) -> torch.optim.Adam:
    """Adam (Kingma & Ba 2015) with the config's betas, eps and weight decay.

    ``fused="auto"`` uses the fused single-kernel update with a lean step
    (:class:`LeanFusedAdam`) and falls back to the multi-tensor ``foreach`` Adam where
    the fused kernel is not available for the device.
    """
    params = list(params)
    kwargs = dict(lr=cfg.lr, betas=tuple(cfg.betas), eps=cfg.eps, weight_decay=cfg.weight_decay)
    if cfg.fused != "off" and hasattr(torch, "_fused_adam_"):
        try:
            return LeanFusedAdam(params, **kwargs)
        except (RuntimeError, TypeError, ValueError) as err:
            if cfg.fused == "on":
                warnings.warn(f"fused Adam unavailable on {device} ({err}); using foreach", stacklevel=2)
    return torch.optim.Adam(params, foreach=True, **kwargs)


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr
