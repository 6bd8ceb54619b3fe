"""The VAE with free bits (Kingma et al. 2016, appendix C.8): no latent dimension's KL is pushed below lambda."""

from __future__ import annotations

from pydantic import Field

from vaelab.models.registry import register_model
from vaelab.models.vae import VAE, VAEOptions
from vaelab.objectives.free_bits import free_bits_kl


class FreeBitsOptions(VAEOptions):
    free_bits: float = Field(0.5, ge=0.0, description="lambda, the nats of KL each latent dimension gets free "
                                                      "(its batch-mean KL counts as at least this; 0 = the ELBO)")


@register_model("free-bits-vae", "VAE with free bits: each dimension's batch-mean KL counts as at least lambda "
                "(model.options.free_bits, nats); the logged kl stays the true KL",
                "Kingma et al. 2016, 'Improved variational inference with inverse autoregressive flow', "
                "app. C.8", options=FreeBitsOptions)
class FreeBitsVAE(VAE):
    """loss = mean_x rec + beta * sum_j max(lambda, mean_x KL_j) (:func:`~vaelab.objectives.free_bits.free_bits_kl`).

    ``rec``, ``kl`` and ``kl_per_dim`` are the ELBO's own (the true KL is logged and
    evaluated); ``extras["kl_free_bits"]`` is the batch's clamped KL term, repeated per
    example so that epoch means stay right. The loss is a batch statistic, so data-parallel
    training, which would clamp each shard's mean, is refused.
    """

    batch_loss = "its free-bits term max(lambda, batch-mean KL_j) is a statistic of the whole batch"

    def objective(self, x, beta, **side):
        out = super().objective(x, beta, **side)  # the ELBO terms, k samples of z if asked
        kl_term = free_bits_kl(out.kl_per_dim, self.options.free_bits)  # 0-d
        out.loss = out.rec.mean() + beta * kl_term
        out.extras["kl_free_bits"] = kl_term.detach().expand_as(out.rec)  # (B,)
        return out
