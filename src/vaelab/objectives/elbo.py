"""The evidence lower bound terms (Kingma & Welling 2013, eq. 3 and 10; Bettencourt & Craddock, eq. 2)."""

from __future__ import annotations

import torch

from vaelab.distributions import kl_divergence
from vaelab.objectives.loss_output import LossOutput


def elbo_terms(model, x: torch.Tensor, beta, keep: bool = False, **side) -> LossOutput:
    """One-sample ELBO: loss = mean(-log p(x|z) + beta * KL(q(z|x) || p(z))), z ~ q(z|x).

    ``beta`` is passed in each call (a float or a 0-d tensor); warm-up and annealing
    live in the trainer's schedule (Bettencourt & Craddock, eq. 4), never in the model. ``side``
    carries per-example side inputs (labels, scores) for variants that use them.
    With ``keep=True`` the posterior, the sample ``z`` and the likelihood ``p(x|z)`` are
    returned in ``extras`` (keys posterior, z, likelihood) for variants that build on
    them; they must pop them.
    """
    q = model.encode(x, **side)
    z = q.rsample()  # (B, d)
    p = model.decode(z, **side)
    rec = -p.log_prob(x)  # (B,)
    kl_per_dim = kl_divergence(q, model.prior)  # (B, d)
    kl = kl_per_dim.sum(-1)  # (B,)
    out = LossOutput(loss=(rec + beta * kl).mean(), rec=rec, kl=kl, kl_per_dim=kl_per_dim)
    if keep:
        out.extras.update(z=z, likelihood=p, posterior=q)
    return out
