"""The free-bits KL term (Kingma et al. 2016, "Improved variational inference with inverse autoregressive flow")."""

from __future__ import annotations

import torch


def free_bits_kl(kl_per_dim: torch.Tensor, free_bits: float) -> torch.Tensor:
    """sum_j max(lambda, E_{x in M}[KL_j]): the KL term of Kingma et al.'s free-bits objective, one group per dimension.

    Kingma et al. (2016, appendix C.8) split the latents into K groups and replace the KL
    term by sum_{j=1..K} max(lambda, E_{x~M}[D_KL(q(z_j|x) || p(z_j))]), the KL of each group
    averaged over the minibatch M. Here every latent dimension is a group: each dimension's
    KL, averaged over the batch, counts at least ``free_bits`` = lambda nats, and below that
    its gradient is zero, so the optimiser gains nothing by pushing it further towards the
    prior. (B, d) -> 0-d: a statistic of the whole batch, not a mean over examples.
    """
    per_dim = kl_per_dim.mean(0)  # (d,) E_{x in M}[KL_j]
    return torch.clamp(per_dim, min=free_bits).sum()
