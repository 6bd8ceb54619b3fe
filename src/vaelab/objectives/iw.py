"""The importance-weighted bound (Burda et al. 2015, eq. 8; seed 003, eq. 3).

L_K(x) = E[log (1/K) sum_k p(x, z_k) / q(z_k|x)],  z_k ~ q(z|x).
L_1 is the ELBO; L_K tightens as K grows and tends to log p(x).
"""

from __future__ import annotations

import math

import torch


def iw_log_weights(model, x: torch.Tensor, k: int, q=None, beta=1.0, parts: bool = False, **side):
    """log w_k = log p(x|z_k) + beta * (log p(z_k) - log q(z_k|x)) for k samples: (k, B).

    With ``parts=True`` also returns -log p(x|z_k) and the Monte Carlo KL
    log q(z_k|x) - log p(z_k), each (k, B).
    """
    q = model.encode(x, **side) if q is None else q
    z = q.rsample((k,))  # (k, B, d)
    side_k = {n: v.expand(k, *v.shape).reshape(-1, *v.shape[1:]) for n, v in side.items()}
    px = model.decode(z, **side_k)  # batch shape (k, B)
    log_px = px.log_prob(x)  # (k, B)
    kl_mc = q.log_prob(z) - model.prior.log_prob(z)  # (k, B)
    lw = log_px - beta * kl_mc
    return (lw, -log_px, kl_mc) if parts else lw


@torch.no_grad()
def iw_bound(model, x: torch.Tensor, k: int, chunk: int | None = None, **side) -> torch.Tensor:
    """L_K(x) per example, (B,), drawing the k samples in chunks of ``chunk`` to bound memory.

    Chunks are combined exactly with a running log-sum-exp, so the result does not
    depend on the chunk size beyond the random draws.
    """
    chunk = k if chunk is None else max(1, min(chunk, k))
    q = model.encode(x, **side)
    total = None
    for start in range(0, k, chunk):
        lw = iw_log_weights(model, x, min(chunk, k - start), q=q, **side)  # (c, B)
        part = torch.logsumexp(lw, dim=0)  # (B,)
        total = part if total is None else torch.logaddexp(total, part)
    return total - math.log(k)
