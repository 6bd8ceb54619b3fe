"""The neighbor-embedding VAE (NE-VAE paper, sec. 4.2): the ELBO plus a re-encoding loss."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from vaelab.models.options import VariantOptions
from vaelab.models.registry import register_model
from vaelab.models.vae import VAE
from vaelab.objectives.elbo import elbo_terms
from vaelab.objectives.reencode import reencode_lp, reencode_se


class NEVAEOptions(VariantOptions):
    gamma: float = Field(1.0, description="weight of the re-encoding loss (eq. 6)")
    reencode: Literal["se", "lp"] = Field(
        "se", description="se = squared error to the re-encoded mean (eq. 7), lp = capped -log-probability (eq. 8-9)")
    cap: float = Field(0.0, description="reencode=lp: the cap c of each dimension's -log N(z_k; mu'_k, sigma'_k^2)")


@register_model("ne-vae", "NE-VAE: -ELBO + gamma * re-encoding loss, se or capped lp",
                "NE-VAE paper ('neighbor embedding VAE'), eq. 6-9", options=NEVAEOptions)
class NEVAE(VAE):
    """loss = mean(rec + beta * kl + gamma * L_re) (eq. 6).

    For each x: z ~ q(z|x) (the ELBO's own sample), x_hat = mean of p(x|z), kept
    differentiable (probabilities for a Bernoulli decoder), then q(z|x_hat) = N(mu', sigma'^2).
    ``reencode="se"``: L_re = (1/d) sum_k (z_k - mu'_k)^2 (eq. 7); ``"lp"``: L_re =
    sum_k max(-log N(z_k; mu'_k, sigma'^2_k), cap) (eq. 8-9). The term is reported as
    ``extras["reencode"]``.
    """

    def objective(self, x, beta, **side):
        out = elbo_terms(self, x, beta, keep=True, **side)
        z, p = out.extras.pop("z"), out.extras.pop("likelihood")
        out.extras.pop("posterior")
        # Re-encode the reconstruction. An autoregressive decoder's mean would need H*W passes
        # and no gradient; its teacher-forced probabilities are the differentiable stand-in. Token
        # decoders (whose mean is argmax ids) give soft rows (B, L, V), which the sequence encoders
        # take like one-hot ids, so the gradient reaches the decoder through the re-encoding.
        x_hat = p.reconstruction(x) if hasattr(p, "reconstruction") else p.mean
        q2 = self.encode(x_hat, **side)
        if self.options.reencode == "se":
            re = reencode_se(z, q2.loc)
        else:
            re = reencode_lp(z, q2.loc, q2.logvar, self.options.cap)
        out.loss = out.loss + self.options.gamma * re.mean()
        out.extras["reencode"] = re
        return out
