"""Deterministic autoencoders: a point-mass code z = E(x) and a decoder, regularised without a KL term.

The shared part of RAE (Ghosh et al. 2020) and WAE (Tolstikhin et al. 2018): encode to
the code, decode it, and score the reconstruction. Each variant adds its own penalty.
With no KL term there is nothing for the trainer's KL weight ``beta`` to weigh: the
objective ignores it, and config validation rejects a ``kl_schedule`` set on these models.
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field

from vaelab.models.options import VariantOptions
from vaelab.distributions.base import Bernoulli
from vaelab.distributions.sequence import TokenDistribution
from vaelab.models.base import LatentVariableModel
from vaelab.objectives import LossOutput


class AutoencoderOptions(VariantOptions):
    """The options every deterministic autoencoder shares."""

    rec: Literal["auto", "nll", "se"] = Field(
        "auto", description="L_REC: nll = -log p(x|z), se = ||x - D(z)||^2; auto = nll for binary and token data, "
                            "se otherwise (RAE paper, eq. 3)")


def reconstruction_loss(p, x: torch.Tensor, kind: str = "auto", per_element: bool = False) -> torch.Tensor:
    """L_REC per example (B,): ``nll`` = -log p(x|z); ``se`` = ||x - D(z)||^2 with D(z) the decoded mean.

    ``auto`` is the negative log-likelihood for a Bernoulli decoder (binary data) and for
    token data (the categorical cross-entropy), and the squared error otherwise
    (continuous data; RAE paper, eq. 3). Summed over the D elements of an example (pixels,
    token positions), or averaged over them with ``per_element`` (with ``se``: the mean
    squared error of the RAE authors' code, Keras ``mse`` averaged over the pixels).
    """
    if kind == "auto":
        kind = "nll" if isinstance(p, (Bernoulli, TokenDistribution)) else "se"
    n = x[0].numel() if per_element else 1  # D, the elements of one example
    if kind == "nll":
        return -p.log_prob(x) / n  # (B,)
    diff = (x.to(p.mean.dtype) - p.mean).reshape(x.shape[0], -1)  # (B, D)
    return diff.square().sum(-1) / n


class DeterministicAutoencoder(LatentVariableModel):
    """Shared parts of the deterministic variants; subclasses write :meth:`objective`."""

    supported_posteriors = ("deterministic",)
    options_model = AutoencoderOptions

    def objective(self, x, beta, **side):
        """``beta``, the trainer's KL weight, is ignored: a point-mass posterior has no KL term to weigh.

        The variant's own penalty weights are its ``model.options``; see :meth:`penalised_loss`.
        """
        return self.penalised_loss(x, **side)

    def penalised_loss(self, x: torch.Tensor, **side) -> LossOutput:
        """The variant's loss: mean L_REC plus its weighted penalty (via :meth:`terms`)."""
        raise NotImplementedError

    def code(self, x: torch.Tensor, **side) -> torch.Tensor:
        """z = E(x): (B, d)."""
        return self.encode(x, **side).mean

    def terms(self, x: torch.Tensor, z: torch.Tensor, p, penalty: torch.Tensor, trained_rec=None,
              **extras) -> LossOutput:
        """LossOutput for a deterministic model: no KL (zeros), ``loss`` = mean(L_REC) + penalty.

        ``rec``, the reconstruction reported (and evaluated), is L_REC of ``model.options.rec``
        summed over the example; ``trained_rec`` (B,), when given, is the L_REC trained in its
        place (the RAE authors' per-pixel mean). ``penalty`` is a 0-d tensor already weighted;
        ``extras`` are the named (B,) or 0-d terms to log (0-d ones are broadcast to the batch
        so epoch means stay right).
        """
        rec = reconstruction_loss(p, x, self.options.rec)  # (B,)
        trained = rec if trained_rec is None else trained_rec  # (B,)
        zeros = torch.zeros_like(rec)
        logged = {k: (v if v.dim() else v.expand_as(rec)) for k, v in extras.items()}
        return LossOutput(loss=trained.mean() + penalty, rec=rec, kl=zeros, extras=logged)
