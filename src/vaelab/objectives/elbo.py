"""The evidence lower bound terms (Kingma & Welling 2013, eq. 3 and 10; Bettencourt & Craddock, eq. 2)."""

from __future__ import annotations

import torch

from vaelab.distributions import kl_divergence
from vaelab.objectives.loss_output import LossOutput


def elbo_terms(model, x: torch.Tensor, beta, keep: bool = False, samples: int = 1, **side) -> LossOutput:
    """ELBO: loss = mean(-log p(x|z) + beta * KL(q(z|x) || p(z))), z ~ q(z|x), the KL analytic.

    ``samples`` > 1 averages the reconstruction term over that many draws of z (Burda,
    Grosse & Salakhutdinov 2016, sec. 5: the "VAE with k samples"; the same bound with a
    lower-variance gradient).

    ``beta`` is passed in each call (a float or a 0-d tensor); warm-up and annealing
    live in the trainer's schedule (Bettencourt & Craddock, eq. 4), never in the model. ``side``
    carries per-example side inputs (labels, scores) for variants that use them.
    With ``keep=True`` the posterior, the sample ``z`` and the likelihood ``p(x|z)`` are
    returned in ``extras`` (keys posterior, z, likelihood) for variants that build on
    them; they must pop them.
    """
    q = model.encode(x, **side)
    if samples > 1:
        if keep:
            raise ValueError("elbo_terms: keep=True needs one sample")
        zk = q.rsample((samples,))  # (k, B, d)
        side_k = {n: v.expand(samples, *v.shape).reshape(-1, *v.shape[1:]) for n, v in side.items()}
        rec = -model.decode(zk, **side_k).log_prob(x).mean(0)  # (k, B) -> (B,)
        kl_per_dim = kl_divergence(q, model.prior)  # (B, d)
        kl = kl_per_dim.sum(-1)  # (B,)
        return LossOutput(loss=(rec + beta * kl).mean(), rec=rec, kl=kl, kl_per_dim=kl_per_dim)
    z = q.rsample()  # (B, d)
    p = model.decode(z, **side)
    rec = -p.log_prob(x)  # (B,)
    kl_per_dim = kl_divergence(q, model.prior)  # (B, d)
    kl = kl_per_dim.sum(-1)  # (B,)
    out = LossOutput(loss=(rec + beta * kl).mean(), rec=rec, kl=kl, kl_per_dim=kl_per_dim)
    if keep:
        out.extras.update(z=z, likelihood=p, posterior=q)
    return out
