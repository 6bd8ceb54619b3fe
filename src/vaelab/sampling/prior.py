"""``prior``: z ~ p(z), the model's own prior (N(0, I)); nothing to fit."""

from __future__ import annotations

import torch

from vaelab.errors import ConfigError
from vaelab.sampling.base import Sampler, register_sampler


def check_has_prior(run) -> None:
    """Deterministic autoencoders train no prior: sampling N(0, I) would decode codes they never saw."""
    if not getattr(run.model, "has_prior", True):
        raise ConfigError(f"model '{run.config.model.name}' has no prior: its codes follow no fixed distribution. "
                          "Use --sampler gaussian, gmm or two-stage")


@register_sampler
class PriorSampler(Sampler):
    """z ~ p(z) through ``model.prior.sample(n, generator=...)``, the draws ``Run.sample`` decodes.

    The generator lives on the run's device, as in :meth:`vaelab.rundir.Run.sample`, so
    for a given seed this sampler and ``run.sample`` use the same codes.
    """

    name = "prior"
    needs_fit = False

    def __init__(self, options: dict, device, prior: torch.nn.Module):
        super().__init__(options, device)
        self.prior = prior

    @classmethod
    def for_run(cls, run, options: dict) -> "PriorSampler":
        check_has_prior(run)
        return cls(options, run.device, run.model.prior)

    def generator(self, seed: int) -> torch.Generator:
        return torch.Generator(device=self.device).manual_seed(seed)

    def draw(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return self.prior.sample(n, generator=generator)  # (n, d)
