"""The record a model returns from one call: what the trainer logs and minimises."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class LossOutput:
    """Every term is a quantity to minimise, in nats per example.

    loss        scalar the optimiser minimises (e.g. mean of rec + beta * kl)
    rec         (B,) reconstruction term, -log p(x|z)
    kl          (B,) KL(q(z|x) || p(z)) summed over latent dimensions
    kl_per_dim  (B, d) the KL split by latent dimension, where it exists
    extras      further named per-example (B,) terms a variant adds (re-encoding, penalties, ...)
    """

    loss: torch.Tensor
    rec: torch.Tensor
    kl: torch.Tensor
    kl_per_dim: torch.Tensor | None = None
    extras: dict[str, torch.Tensor] = field(default_factory=dict)

    @property
    def neg_elbo(self) -> torch.Tensor:
        """(B,) -ELBO = rec + kl, the beta = 1 bound whatever beta the loss used."""
        return self.rec + self.kl
