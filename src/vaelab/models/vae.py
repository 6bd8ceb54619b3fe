"""The variational autoencoder (Kingma & Welling 2013; Bettencourt & Craddock, eq. 2 and 4)."""

from __future__ import annotations

from vaelab.models.base import LatentVariableModel
from vaelab.models.registry import register_model
from vaelab.objectives.elbo import elbo_terms


@register_model("vae", "VAE: one-sample ELBO with KL weight beta from kl_schedule",
                "Kingma & Welling 2013, 'Auto-encoding variational Bayes'")
class VAE(LatentVariableModel):
    supported_posteriors = ("gaussian", "bounded-gaussian")

    def objective(self, x, beta, **side):
        return elbo_terms(self, x, beta, **side)
