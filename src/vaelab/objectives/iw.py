"""The importance-weighted bound (Burda, Grosse & Salakhutdinov 2015, "Importance Weighted Autoencoders", eq. 8).

L_K(x) = E[log (1/K) sum_k p(x, z_k) / q(z_k|x)],  z_k ~ q(z|x).
L_1 is the ELBO; L_K tightens as K grows and tends to log p(x).

:func:`iw_bound` computes it for every model with ``model.decode`` and the
distributions' ``log_prob`` (:func:`iw_log_weights`). A caller may pass a ``kernel``:
an object whose ``plan(model, q, x, k, chunk, compile)`` returns a faster way to compute
the log-weights of a chunk for this model, or None where it has none. The CPU kernel for
the common MLP/Bernoulli case lives with the evaluation code
(:class:`vaelab.diagnostics.iw_fast.IWKernel`); this module knows nothing of it.
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
def iw_bound(model, x: torch.Tensor, k: int, chunk: int | None = None, kernel=None, compile: bool | None = None,
             **side) -> torch.Tensor:
    """L_K(x) per example, (B,), drawing the k samples in chunks of ``chunk`` to bound memory.

    Chunks are combined exactly with a log-sum-exp (in float64), so the result does not
    depend on the chunk size beyond the random draws. ``kernel`` (see the module
    docstring) computes the chunks where it applies, with the same random draws;
    ``compile`` is passed to it (None: its own rule). Only chunks of the full ``chunk``
    size run compiled; a smaller last chunk runs eagerly (no second graph).
    """
    chunk = k if chunk is None else max(1, min(chunk, k))
    q = model.encode(x, **side)
    plan = None if kernel is None else kernel.plan(model, q, x, k, chunk, compile)
    if plan is None:
        total = None
        for start in range(0, k, chunk):
            lw = iw_log_weights(model, x, min(chunk, k - start), q=q, **side)  # (c, B)
            part = torch.logsumexp(lw.double(), dim=0)  # (B,)
            total = part if total is None else torch.logaddexp(total, part)
        return (total - math.log(k)).to(lw.dtype)
    sizes = [min(chunk, k - start) for start in range(0, k, chunk)]
    parts = [plan.chunk_logsumexp(plan.draw(c), compiled=plan.compiled and c == chunk) for c in sizes]  # (B,) f64
    total = torch.logsumexp(torch.stack(parts), dim=0) if len(parts) > 1 else parts[0]
    return (total - math.log(k)).to(plan.dtype)
