"""Schedules are functions of the epoch, kept outside the model and passed in.

Being stateless, they make resume exact: epoch e gets the same value whether the run
went straight through or was restarted.
"""

from __future__ import annotations

import math


def kl_weight(cfg, epoch: int, total_epochs: int | None = None) -> float:
    """beta at (0-based) ``epoch`` of a run of ``total_epochs`` (train.epochs; the cyclical kind needs it).

    ``constant``: beta = end. ``linear``: beta rises from ``start`` at epoch 0 to ``end``
    at epoch N_T = ``epochs`` and stays there (Bettencourt & Craddock, sec. 2.6, eq. 4: start=0,
    end=1; the NE-VAE setting is start=0.1, end=1, epochs=10). ``cyclical``: see
    :func:`cyclical_fraction`. ``cap`` stops the rise at a value: the NE-VAE paper's beta-VAE
    baselines anneal like the others "other than that the KL weight stops annealing once it
    arrives at the respective value".
    """
    if cfg.kind == "cyclical":
        beta = float(cfg.start + (cfg.end - cfg.start) * cyclical_fraction(cfg, epoch, total_epochs))
    elif cfg.kind == "constant" or cfg.epochs == 0:
        beta = float(cfg.end)
    else:
        beta = float(cfg.start + (cfg.end - cfg.start) * min(1.0, epoch / cfg.epochs))
    return beta if cfg.cap is None else min(beta, float(cfg.cap))


def cyclical_fraction(cfg, epoch: int, total_epochs: int | None) -> float:
    """f(tau) of Fu et al. (2019, "Cyclical annealing schedule", sec. 3), per epoch: where beta is between start and end.

    beta_t = f(tau) for tau <= R, 1 for tau > R, with tau = mod(t - 1, ceil(T / M)) / (T / M)
    and f(tau) = tau / R: M = ``cycles`` cycles over T = ``total_epochs``, each rising
    linearly for its first part R = ``ratio`` and then held. Here t - 1 is the 0-based epoch
    (the paper counts iterations; vaelab sets beta once per epoch). When M does not divide T
    the cycles are ceil(T / M) epochs long and the last one is cut short, as in the formula.
    """
    if total_epochs is None:
        raise ValueError("the cyclical KL schedule needs the run's length: kl_weight(cfg, epoch, total_epochs)")
    period = total_epochs / cfg.cycles  # T / M, in epochs
    tau = (epoch % math.ceil(period)) / period
    return min(1.0, tau / cfg.ratio)


def cyclical_warning(cfg, total_epochs: int) -> str | None:
    """Why a cyclical schedule over ``total_epochs`` epochs cannot rise gradually (beta is set once per epoch), or None."""
    if cfg.kind != "cyclical":
        return None
    rise = total_epochs / cfg.cycles * cfg.ratio  # epochs per rise
    if rise >= 1.0:
        return None
    stuck = " (each cycle is one epoch, so beta stays at kl_schedule.start)" if cfg.cycles >= total_epochs else ""
    return (f"kl_schedule: {cfg.cycles} cycles over train.epochs={total_epochs} rise in {rise:g} epochs, but beta is "
            f"set once per epoch{stuck}; lower kl_schedule.cycles or raise train.epochs")


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
