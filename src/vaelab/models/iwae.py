"""The importance-weighted autoencoder (Burda et al. 2016, eq. 8; Bettencourt & Craddock, eq. 3)."""

from __future__ import annotations

import math

import torch
from pydantic import Field, PositiveInt

from vaelab.models.options import VariantOptions
from vaelab.distributions import kl_divergence
from vaelab.models.registry import register_model
from vaelab.models.vae import VAE
from vaelab.objectives import LossOutput, iw_log_weights


class IWAEOptions(VariantOptions):
    k: PositiveInt = Field(5, description="K, the importance samples per example (K = 1: the ELBO)")


@register_model("iwae", "IWAE: the K-sample importance-weighted bound as the loss",
                "Burda, Grosse & Salakhutdinov 2016, 'Importance weighted autoencoders', eq. 8", options=IWAEOptions)
class IWAE(VAE):
    """loss = -mean_x L_K(x), L_K = log (1/K) sum_k p(x|z_k) p(z_k)^beta / q(z_k|x)^beta.

    With beta < 1 (warm-up) the prior/posterior ratio is scaled, as Bettencourt & Craddock (sec. 2.6)
    applies warm-up to the IWAE. K = 1 is the VAE objective with a Monte Carlo KL.
    ``rec`` and ``kl`` are logged as the sample-average reconstruction and the analytic KL;
    ``extras["iw_bound"]`` is -L_K per example.
    """

    def objective(self, x, beta, **side):
        k = self.options.k
        q = self.encode(x, **side)
        lw, rec_k, kl_mc = iw_log_weights(self, x, k, q=q, beta=beta, parts=True, **side)  # (k, B) each
        neg_bound = -(torch.logsumexp(lw, dim=0) - math.log(k))  # (B,)
        with torch.no_grad():
            kl_per_dim = kl_divergence(q, self.prior)  # (B, d), for logging
        return LossOutput(loss=neg_bound.mean(), rec=rec_k.mean(0), kl=kl_per_dim.sum(-1),
                          kl_per_dim=kl_per_dim, extras={"iw_bound": neg_bound.detach()})
