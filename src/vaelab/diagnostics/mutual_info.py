"""Mutual information I(x; z) between the data and the code under the encoder's q(z|x)."""

from __future__ import annotations

import math

import torch

from vaelab.distributions.base import LOG_2PI
from vaelab.nn.batching import batches


@torch.no_grad()
def posterior_stats(encode, x: torch.Tensor, batch_size: int = 1000,
                    side: dict | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Means and log-variances of q(z|x) over ``x``, encoded in batches: two (N, d) tensors.

    ``encode(x_batch, **side_batch)`` returns a diagonal Gaussian with ``.loc`` (or
    ``.mean``) and ``.logvar``, e.g. ``model.encode``; ``side`` holds per-example side
    inputs (labels), sliced alongside x. A deterministic encoder (no ``.logvar``) is an error.
    """
    side = side or {}
    if x.shape[0] == 0:
        raise ValueError("posterior_stats needs at least one example, got an empty x")
    means, logvars = [], []
    for q in batches(encode, x, side, batch_size):
        if not hasattr(q, "logvar"):
            raise ValueError(f"posterior_stats needs a Gaussian posterior with .logvar, got {type(q).__name__}")
        loc = q.loc if hasattr(q, "loc") else q.mean
        means.append(loc.detach())  # (b, d)
        logvars.append(q.logvar.detach())  # (b, d)
    return torch.cat(means), torch.cat(logvars)  # (N, d), (N, d)


def _posterior_features(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Per-posterior factors of log q(z | x_j) = -0.5 [d log 2pi + sum logvar_j + sum (z - mu_j)^2 / var_j].

    Expanding the square, sum_k (z_k - mu_jk)^2 / var_jk = z^2 . (1/var_j) - 2 z . (mu_j/var_j)
    + sum_k mu_jk^2 / var_jk, so log q(z | x_j) = [z^2, z, 1] . right_j with ``right``
    (N, 2d + 1) returned here (the -0.5 folded in).
    """
    prec = torch.exp(-logvar)  # (N, d)
    const = (mean.square() * prec).sum(1) + logvar.sum(1) + mean.shape[1] * LOG_2PI  # (N,)
    return -0.5 * torch.cat((prec, -2.0 * mean * prec, const[:, None]), dim=1)  # (N, 2d + 1)


def _sample_features(z: torch.Tensor) -> torch.Tensor:
    """[z^2, z, 1] for codes z (m, d): the left factor of the expanded quadratic, (m, 2d + 1)."""
    return torch.cat((z.square(), z, torch.ones_like(z[:, :1])), dim=1)  # (m, 2d + 1)


def _log_q_matrix(z: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log q(z_i | x_j) for codes z (m, d) against posteriors (N, d): (m, N), one matrix product."""
    return _sample_features(z) @ _posterior_features(mean, logvar).T  # (m, N)


@torch.no_grad()
def mutual_information(mean: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None,
                       chunk: int = 2048) -> dict:
    """I(x; z) under q(x, z) = p_data(x) q(z|x), for diagonal Gaussian posteriors ``mean``, ``logvar`` (N, d).

    The estimator of Hoffman & Johnson (2016, "ELBO surgery") as used by He et al.
    (2019, "Lagging inference networks", the MI metric of their experiments, ``calc_mi``):

        I(x; z) = E_x[-H(q(z|x))] - E_{q(z)}[log q(z)],

    with the entropy in closed form and, for each i, one draw z_i ~ q(z|x_i) scored
    under the aggregate posterior q(z) = 1/N sum_j q(z|x_j), i.e.
    log q(z_i) ~= logsumexp_j log q(z_i|x_j) - log N over ALL N examples, not per
    mini-batch (a per-batch estimate is capped at log(batch size)).

    Dependence on N: log q(z) is a log-mean over N mixture components and
    q(z_i) >= q(z_i|x_i) / N, so the estimate is at most log N (up to the Monte Carlo
    noise of the single draw per example, std ~ sqrt(d / (2N)) nats) and is biased
    for small N: an informative encoder's MI is underestimated and saturates at
    log N (log 1000 = 6.9 nats). Use thousands of examples, and compare figures only
    at equal N (reported as ``mi_n``).

    ``generator`` seeds the draws; all N draws are made before chunking, so ``chunk``
    (rows of the (chunk, N) float64 score matrix held at once) changes only memory
    and speed, not the result. Returns ``{"mi", "neg_entropy", "log_qz", "mi_n"}`` in nats.
    """
    if mean.dim() != 2 or mean.shape != logvar.shape:
        raise ValueError(f"mean and logvar must both be (N, d), got {tuple(mean.shape)} and {tuple(logvar.shape)}")
    n, d = mean.shape
    if n < 2:
        raise ValueError(f"mutual_information needs at least 2 examples, got N = {n}")
    mean, logvar = mean.detach().double(), logvar.detach().double()  # (N, d) each
    neg_entropy = (-0.5 * (LOG_2PI + 1.0 + logvar)).sum(1).mean()  # scalar, E_x[-H(q(z|x))]
    eps_device = generator.device if generator is not None else mean.device
    eps = torch.randn((n, d), generator=generator, dtype=torch.float64, device=eps_device)  # (N, d)
    eps = eps.to(mean.device)  # all N draws before chunking: chunk does not change the result
    z = mean + torch.exp(0.5 * logvar) * eps  # (N, d), z_i ~ q(z|x_i)
    right = _posterior_features(mean, logvar).T.contiguous()  # (2d + 1, N)
    log_qz = torch.cat([
        torch.logsumexp(_sample_features(z[s : s + chunk]) @ right, dim=1)  # (c,)
        for s in range(0, n, chunk)
    ]) - math.log(n)  # (N,)
    neg_entropy, log_qz_mean = float(neg_entropy), float(log_qz.mean())
    return {"mi": neg_entropy - log_qz_mean, "neg_entropy": neg_entropy, "log_qz": log_qz_mean, "mi_n": n}


#: He et al.'s evaluation batch size (2019, ``calc_mi`` over test batches of 50): the papers' MI scale
MI_BATCH = 50


@torch.no_grad()
def mutual_information_batched(mean: torch.Tensor, logvar: torch.Tensor, batch_size: int = MI_BATCH,
                               generator: torch.Generator | None = None) -> dict:
    """He et al.'s (2019) per-batch MI: :func:`mutual_information` within each batch, averaged over batches.

    Their ``calc_mi`` scores each draw against the aggregate posterior of its own
    mini-batch only and averages the batches' estimates weighted by their sizes, so the
    figure is capped near log(batch size) (log 50 = 3.91 nats), the scale of the MI
    columns in He et al. and in the NE-VAE paper. It is reported beside the whole-split
    ``mi`` (capped at log N) as ``mi_batch``, with ``mi_batch_size``. A last batch of one
    example (whose MI is 0 by construction) is folded into the batch before it.
    """
    n = mean.shape[0]
    if n < 2:
        raise ValueError(f"mutual_information_batched needs at least 2 examples, got N = {n}")
    bounds = list(range(0, n, batch_size)) + [n]
    if len(bounds) > 2 and bounds[-1] - bounds[-2] < 2:
        del bounds[-2]
    total = sum(mutual_information(mean[a:b], logvar[a:b], generator=generator)["mi"] * (b - a)
                for a, b in zip(bounds, bounds[1:]))
    return {"mi_batch": total / n, "mi_batch_size": min(batch_size, n)}
