"""Optimizer construction: Adam with a fused kernel where the build supports it."""

from __future__ import annotations

import warnings

import torch


def make_adam(params, cfg, device: torch.device) -> torch.optim.Adam:
    """Adam (Kingma & Ba 2015) with the config's betas, eps and weight decay.

    ``fused="auto"`` uses the single-kernel implementation (one launch for every
    parameter) and falls back to the multi-tensor ``foreach`` one where fused is not
    available for the device.
    """
    params = list(params)
    kwargs = dict(lr=cfg.lr, betas=tuple(cfg.betas), eps=cfg.eps, weight_decay=cfg.weight_decay)
    if cfg.fused != "off":
        try:
            return torch.optim.Adam(params, fused=True, **kwargs)
        except (RuntimeError, TypeError, ValueError) as err:
            if cfg.fused == "on":
                warnings.warn(f"fused Adam unavailable on {device} ({err}); using foreach", stacklevel=2)
    return torch.optim.Adam(params, foreach=True, **kwargs)


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr
