"""The constant-variance VAE (CV-VAE), a baseline of the RAE paper (Ghosh et al. 2020, sec. 2 and Table 1)."""

from __future__ import annotations

from vaelab.models.registry import register_model
from vaelab.models.vae import VAE


@register_model("cv-vae", "constant-variance VAE: posterior N(mu(x), sigma² I) with sigma fixed "
                "(model.posterior_std, default 0.1); the ELBO otherwise",
                "Ghosh et al. 2020, 'From variational to deterministic autoencoders', sec. 2",
                settings={"model.posterior": "constant-variance"})
class CVVAE(VAE):
    """The VAE objective with a posterior whose variance is a constant, not a function of x.

    With sigma fixed, KL(q || N(0, I)) = 1/2 ||mu||^2 + const: the RAE code penalty
    with noise injected at a fixed scale. The RAE paper fits a single Gaussian to its
    codes for the "N" column rather than using the prior, so ``n_sampler`` says so.
    sigma = 0.1 is our default (the paper does not state it in the text we follow).
    """

    supported_posteriors = ("constant-variance",)
    n_sampler = "gaussian"
