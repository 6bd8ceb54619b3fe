"""The shared pipeline every variant uses: encode -> sample -> decode -> objective.

A variant subclasses :class:`LatentVariableModel` and overrides :meth:`objective`
(and nothing else, usually). The parts it owns are swappable: an encoder backbone
and posterior head give q(z|x); a decoder backbone and likelihood head give p(x|z);
the prior gives p(z).
"""

from __future__ import annotations

import torch
from torch import nn

from vaelab.models.options import VariantOptions
from vaelab.distributions import Distribution
from vaelab.distributions.posterior import DeterministicHead
from vaelab.objectives import LossOutput


def float32_head(head: nn.Module, h: torch.Tensor):
    """``head(h)`` in float32 even under a bfloat16 autocast (``train.precision: bf16``).

    A distribution head turns backbone features into the parameters of q(z|x) or p(x|z);
    the log-likelihood and KL computed from them are sums over many dimensions, which
    bfloat16's 8-bit mantissa would round badly. Outside autocast this is ``head(h)``.
    """
    dev = h.device.type
    if not torch.is_autocast_enabled(dev):
        return head(h)
    with torch.autocast(dev, enabled=False):
        return head(h.float())


class LatentVariableModel(nn.Module):
    """Owns encoder, posterior head, decoder, likelihood head and prior."""

    #: registry name, set by :func:`vaelab.models.register_model`
    name = "base"
    #: the variant's typed options (``model.options``), set by ``register_model(..., options=...)``
    options_model: type[VariantOptions] = VariantOptions
    #: posterior heads the objective can use (None: any)
    supported_posteriors: tuple[str, ...] | None = None
    #: per-example side inputs the objective needs from the data (e.g. ("y",) for labels)
    side_inputs: tuple[str, ...] = ()
    #: number of label classes, set at build time from the training data (None without labels)
    n_classes: int | None = None
    #: whether p(z) is a distribution to sample (False for deterministic autoencoders: their codes follow no prior)
    has_prior: bool = True
    #: the sampler of the FD "N" column (RAE paper, Table 1): "prior" for VAEs and WAEs, "gaussian"
    #: (one full-covariance Gaussian fitted to the training codes) for CV-VAEs, RAEs and AEs
    n_sampler: str = "prior"
    #: what makes the loss a statistic of the whole batch rather than a mean over examples (None: it is a mean);
    #: data-parallel training, where each process sees a shard of the batch, refuses such a model
    batch_loss: str | None = None

    def __init__(self, encoder: nn.Module, posterior_head: nn.Module, decoder: nn.Module,
                 likelihood_head: nn.Module, prior: nn.Module, options: VariantOptions | None = None):
        super().__init__()
        self.encoder = encoder
        self.posterior_head = posterior_head
        self.decoder = decoder
        self.likelihood_head = likelihood_head
        self.prior = prior
        self.options = options if options is not None else self.options_model()

    @property
    def has_elbo(self) -> bool:
        """False for a deterministic encoder: a point-mass q(z|x) has no KL, ELBO or importance weights."""
        return not isinstance(self.posterior_head, DeterministicHead)

    @property
    def latent_dim(self) -> int:
        return self.prior.latent_dim

    #: whether the training step may be compiled (False where torch.compile cannot trace the objective)
    compilable: bool = True

    def finish_build(self) -> None:
        """Called once after initialisation, before weights are loaded (e.g. to add parametrisations)."""

    def encode(self, x: torch.Tensor, **side) -> Distribution:
        """q(z|x) for a batch x of shape (B, *event_shape)."""
        return float32_head(self.posterior_head, self.encoder(x))

    def decode(self, z: torch.Tensor, **side) -> Distribution:
        """p(x|z) for z of shape (*lead, d); leading sample dimensions are allowed."""
        lead = z.shape[:-1]
        p = float32_head(self.likelihood_head, self.decoder(self.decoder_input(z.reshape(-1, z.shape[-1]), **side)))
        return p if len(lead) == 1 else p.reshape_batch(tuple(lead))  # batch (*lead,)

    def decoder_input(self, z: torch.Tensor, **side) -> torch.Tensor:
        """What the decoder backbone sees for codes z (N, d); conditional variants append to it."""
        return z

    @torch.no_grad()
    def sample(self, n: int, mean: bool = True, generator: torch.Generator | None = None) -> torch.Tensor:
        """n draws from the model: z ~ p(z), then the likelihood's mean (or a sample): (n, *event)."""
        p = self.decode(self.prior.sample(n, generator=generator))
        return p.mean if mean else p.sample()

    def objective(self, x: torch.Tensor, beta, **side) -> LossOutput:
        """The loss to minimise for a batch x; ``beta`` is the KL weight of the trainer's ``kl_schedule``."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor, beta=1.0, **side) -> LossOutput:
        return self.objective(x, beta, **side)
