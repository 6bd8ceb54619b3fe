"""Deterministic autoencoders: a point-mass code z = E(x) and a decoder, regularised without a KL term.

The shared part of RAE (Ghosh et al. 2020) and WAE (Tolstikhin et al. 2018): encode to
the code, decode it, and score the reconstruction. Each variant adds its own penalty.
"""

from __future__ import annotations

import torch

from vaelab.distributions.base import Bernoulli
from vaelab.distributions.sequence import TokenDistribution
from vaelab.models.base import LatentVariableModel
from vaelab.objectives import LossOutput

REC_KINDS = ("auto", "nll", "se")


def reconstruction_loss(p, x: torch.Tensor, kind: str = "auto") -> torch.Tensor:
    """L_REC per example (B,): ``nll`` = -log p(x|z); ``se`` = ||x - D(z)||^2 with D(z) the decoded mean.

    ``auto`` is the negative log-likelihood for a Bernoulli decoder (binary data) and for
    token data (the categorical cross-entropy), and the squared error otherwise
    (continuous data; RAE paper, eq. 3).
    """
    if kind == "auto":
        kind = "nll" if isinstance(p, (Bernoulli, TokenDistribution)) else "se"
    if kind == "nll":
        return -p.log_prob(x)  # (B,)
    diff = (x.to(p.mean.dtype) - p.mean).reshape(x.shape[0], -1)  # (B, D)
    return diff.square().sum(-1)


class DeterministicAutoencoder(LatentVariableModel):
    """Shared parts of the deterministic variants; subclasses write :meth:`objective`."""

    supported_posteriors = ("deterministic",)
    option_defaults = {"rec": "auto"}

    @classmethod
    def check_options(cls, options: dict) -> None:
        if options["rec"] not in REC_KINDS:
            raise ValueError(f"model.options.rec must be one of {', '.join(REC_KINDS)}, not {options['rec']!r}")

    def code(self, x: torch.Tensor, **side) -> torch.Tensor:
        """z = E(x): (B, d)."""
        return self.encode(x, **side).mean

    def terms(self, x: torch.Tensor, z: torch.Tensor, p, penalty: torch.Tensor, **extras) -> LossOutput:
        """LossOutput for a deterministic model: no KL (zeros), ``loss`` = mean(rec) + penalty.

        ``penalty`` is a 0-d tensor already weighted; ``extras`` are the named (B,) or 0-d
        terms to log (0-d ones are broadcast to the batch so epoch means stay right).
        """
        rec = reconstruction_loss(p, x, self.options["rec"])  # (B,)
        zeros = torch.zeros_like(rec)
        logged = {k: (v if v.dim() else v.expand_as(rec)) for k, v in extras.items()}
        return LossOutput(loss=rec.mean() + penalty, rec=rec, kl=zeros, extras=logged)
