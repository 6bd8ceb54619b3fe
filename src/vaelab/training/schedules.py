"""Schedules are functions of the epoch, kept outside the model and passed in.

Being stateless, they make resume exact: epoch e gets the same value whether the run
went straight through or was restarted.
"""

from __future__ import annotations

import math


def kl_weight(cfg, epoch: int) -> float:
    """beta at (0-based) ``epoch``.

    ``constant``: beta = end. ``linear``: beta rises from ``start`` at epoch 0 to ``end``
    at epoch N_T = ``epochs`` and stays there (Bettencourt & Craddock, sec. 2.6, eq. 4: start=0,
    end=1; the NE-VAE setting is start=0.1, end=1, epochs=10). ``cap`` stops the rise at
    a value: the NE-VAE paper's beta-VAE baselines anneal like the others "other than that
    the KL weight stops annealing once it arrives at the respective value".
    """
    if cfg.kind == "constant" or cfg.epochs == 0:
        beta = float(cfg.end)
    else:
        beta = float(cfg.start + (cfg.end - cfg.start) * min(1.0, epoch / cfg.epochs))
    return beta if cfg.cap is None else min(beta, float(cfg.cap))


def burda_stage(epoch: int) -> int:
    """Stage i of Burda, Grosse & Salakhutdinov (2016, sec. 5): stage i lasts 3**i passes, i = 0..7.

    Stage i covers epochs [(3**i - 1) / 2, (3**(i+1) - 1) / 2); the 3,280 passes end
    with stage 7, and later epochs stay in stage 7.
    """
    stage = 0
    while stage < 7 and epoch >= (3 ** (stage + 1) - 1) // 2:
        stage += 1
    return stage


def learning_rate(cfg, epoch: int, total_epochs: int) -> float:
    """Learning rate at (0-based) ``epoch``: constant, cosine to zero, step decay, or Burda et al.'s stages.

    ``burda``: lr * 10**(-i/7) in stage i, stage i lasting 3**i passes (Burda, Grosse &
    Salakhutdinov, 2016, sec. 5: lr 0.001 * 10**(-i/7), 3,280 passes in all).
    """
    if cfg.lr_schedule == "burda":
        return cfg.lr * 10.0 ** (-burda_stage(epoch) / 7.0)
    if cfg.lr_schedule == "cosine":
        return cfg.lr * 0.5 * (1.0 + math.cos(math.pi * epoch / max(1, total_epochs)))
    if cfg.lr_schedule == "step":
        return cfg.lr * cfg.lr_gamma ** (epoch // cfg.lr_step_epochs)
    return cfg.lr
