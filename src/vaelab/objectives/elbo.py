"""The evidence lower bound terms (Kingma & Welling 2013, eq. 3 and 10; seed 003, eq. 2)."""

from __future__ import annotations

import torch

from vaelab.distributions import kl_divergence
from vaelab.objectives.loss_output import LossOutput


def elbo_terms(model, x: torch.Tensor, beta) -> LossOutput:
    """One-sample ELBO: loss = mean(-log p(x|z) + beta * KL(q(z|x) || p(z))), z ~ q(z|x).

    ``beta`` is passed in each call (a float or a 0-d tensor); warm-up and annealing
    live in the trainer's schedule (seed 003, eq. 4), never in the model.
    """
    q = model.encode(x)
    z = q.rsample()  # (B, d)
    rec = -model.decode(z).log_prob(x)  # (B,)
    kl_per_dim = kl_divergence(q, model.prior)  # (B, d)
    kl = kl_per_dim.sum(-1)  # (B,)
    return LossOutput(loss=(rec + beta * kl).mean(), rec=rec, kl=kl, kl_per_dim=kl_per_dim)
