"""The importance-weighted bound (Burda et al. 2015, eq. 8; seed 003, eq. 3).

L_K(x) = E[log (1/K) sum_k p(x, z_k) / q(z_k|x)],  z_k ~ q(z|x).
L_1 is the ELBO; L_K tightens as K grows and tends to log p(x).
"""

from __future__ import annotations

import math

import torch


def iw_log_weights(model, x: torch.Tensor, k: int, q=None) -> torch.Tensor:
    """log w_k = log p(x|z_k) + log p(z_k) - log q(z_k|x) for k samples: (k, B)."""
    q = model.encode(x) if q is None else q
    z = q.rsample((k,))  # (k, B, d)
    px = model.decode(z)  # batch shape (k, B)
    return px.log_prob(x) + model.prior.log_prob(z) - q.log_prob(z)  # (k, B)


@torch.no_grad()
def iw_bound(model, x: torch.Tensor, k: int, chunk: int | None = None) -> torch.Tensor:
    """L_K(x) per example, (B,), drawing the k samples in chunks of ``chunk`` to bound memory.

    Chunks are combined exactly with a running log-sum-exp, so the result does not
    depend on the chunk size beyond the random draws.
    """
    chunk = k if chunk is None else max(1, min(chunk, k))
    q = model.encode(x)
    total = None
    for start in range(0, k, chunk):
        lw = iw_log_weights(model, x, min(chunk, k - start), q=q)  # (c, B)
        part = torch.logsumexp(lw, dim=0)  # (B,)
        total = part if total is None else torch.logaddexp(total, part)
    return total - math.log(k)
