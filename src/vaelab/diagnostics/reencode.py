"""Re-encoding error: does the encoder give back the code that produced a reconstruction?"""

from __future__ import annotations

import torch

from vaelab.nn.batching import take
from vaelab.objectives.reencode import reencode_lp, reencode_se


def _x_hat(p, x: torch.Tensor) -> torch.Tensor:
    """The decoded mean; an autoregressive decoder's teacher-forced probabilities stand in for it."""
    return p.reconstruction(x) if hasattr(p, "reconstruction") else p.mean


@torch.no_grad()
def reencode_error(encode, decode, x: torch.Tensor, generator: torch.Generator | None = None,
                   batch_size: int = 1000, side: dict | None = None) -> dict:
    """Mean re-encoding errors of an encoder/decoder pair, the NE-VAE losses used as a collapse metric.

    For each x: z ~ q(z|x), x_hat = E[p(x|z)], q(z|x_hat) = N(mu', sigma'^2), then
    (NE-VAE paper, eq. 7 and eq. 8 without the cap)

        reencode_se = (1/d) sum_k (z_k - mu'_k)^2,
        reencode_lp = sum_k -log N(z_k; mu'_k, sigma'^2_k).

    A collapsed dimension's code is forgotten by the decoder, so its re-encoding lands
    near the prior mean whatever z_k was: both errors grow with collapse. A
    deterministic encoder (no ``logvar``) uses z = its code and gets no ``reencode_lp``.

    ``encode(x, **side)`` and ``decode(z, **side)`` return distributions (e.g.
    ``model.encode``/``model.decode``). Returns ``{"reencode_se", "reencode_lp"}`` in
    nats (lp) and squared latent units (se), averaged over examples.
    """
    side = side or {}
    se_sum = torch.zeros((), dtype=torch.float64, device=x.device)
    lp_sum = torch.zeros((), dtype=torch.float64, device=x.device)
    stochastic = True
    for start in range(0, x.shape[0], batch_size):
        sl = slice(start, start + batch_size)
        s = take(side, sl)
        q = encode(x[sl], **s)
        stochastic = hasattr(q, "logvar")
        if stochastic:
            eps = torch.randn(q.loc.shape, generator=generator, device=q.loc.device)  # (b, d)
            z = q.loc + torch.exp(0.5 * q.logvar) * eps  # (b, d)
        else:
            z = q.mean  # (b, d)
        q2 = encode(_x_hat(decode(z, **s), x[sl]), **s)
        se_sum += reencode_se(z, q2.mean).sum().double()
        if stochastic:
            lp_sum += reencode_lp(z, q2.loc, q2.logvar, cap=float("-inf")).sum().double()
    n = x.shape[0]
    out = {"reencode_se": float(se_sum) / n}
    if stochastic:
        out["reencode_lp"] = float(lp_sum) / n
    return out
