"""The variational autoencoder (Kingma & Welling 2013; Bettencourt & Craddock, eq. 2 and 4)."""

from __future__ import annotations

from pydantic import Field, PositiveInt

from vaelab.models.base import LatentVariableModel
from vaelab.models.options import VariantOptions
from vaelab.models.registry import register_model
from vaelab.objectives.elbo import elbo_terms


class VAEOptions(VariantOptions):
    k: PositiveInt = Field(1, description="samples of z averaged in the reconstruction term (Burda et al. 2016's "
                                          "'VAE with k samples'; 1 = the usual one-sample ELBO)")


@register_model("vae", "VAE: the ELBO (k samples of z, default 1) with KL weight beta from kl_schedule",
                "Kingma & Welling 2013, 'Auto-encoding variational Bayes'", options=VAEOptions)
class VAE(LatentVariableModel):
    supported_posteriors = ("gaussian", "bounded-gaussian", "bn-gaussian", "delta-gaussian")

    def objective(self, x, beta, **side):
        k = getattr(self.options, "k", 1)  # subclasses with other options use one sample
        return elbo_terms(self, x, beta, **side) if k == 1 else elbo_terms(self, x, beta, samples=k, **side)
