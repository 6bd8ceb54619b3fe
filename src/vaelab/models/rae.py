"""Regularized autoencoders (Ghosh et al. 2020, 'From variational to deterministic autoencoders', eq. 2-4)."""

from __future__ import annotations

from typing import ClassVar, Literal, Optional

import torch
from pydantic import Field
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from vaelab.models.autoencoder import AutoencoderOptions, DeterministicAutoencoder
from vaelab.models.registry import register_model
from vaelab.objectives.regularizers import code_l2, gradient_penalty, weight_l2

#: lambda when ``model.options.lam`` is null: the authors' MNIST values (RAE code release, MNIST config)
DEFAULT_LAMBDA = {"none": 0.0, "l2": 1e-7, "gp": 5e-8, "sn": 0.0}


class RAEOptions(AutoencoderOptions):
    """The RAE's weights and regulariser (Ghosh et al. 2020, eq. 2-4; defaults: the authors' MNIST configuration)."""

    code_weight: float = Field(
        1e-4, ge=0.0, description="weight of the code penalty ½‖z‖²: the paper's beta (eq. 2), renamed "
                                  "because in vaelab beta is the KL weight only")
    reg: Literal["none", "l2", "gp", "sn"] = Field(
        "none", description="L_REG: none, l2 = decoder weight norm (eq. 4), gp = decoder gradient penalty, "
                            "sn = spectral normalisation of the decoder (sec. 3.1)")
    lam: Optional[float] = Field(
        None, ge=0.0, description="weight of L_REG; null = the authors' value for reg: "
                                  + ", ".join(f"{k} {v:g}" for k, v in DEFAULT_LAMBDA.items()))
    gp_form: Literal["sum", "authors", "frobenius"] = Field(
        "sum", description="reg=gp: sum (||grad_z sum D(z)||^2), authors (the authors' code: the mean over latent "
                           "dimensions of (grad_z sum D(z)^2)^2) or frobenius (a one-probe Hutchinson estimate)")

    renamed: ClassVar[dict[str, str]] = {"beta": "code_weight"}


@register_model("rae", "regularized autoencoder: deterministic code, L_REC + code_weight · ½‖z‖² + lam · L_REG "
                "(reg = none, l2, gp or sn); sample with an ex-post density",
                "Ghosh et al. 2020, 'From variational to deterministic autoencoders', eq. 2-4",
                settings={"model.posterior": "deterministic"}, options=RAEOptions)
class RAE(DeterministicAutoencoder):
    """loss = mean(L_REC + code_weight * 1/2 ||z||^2) + lam * L_REG, with z = E(x) (RAE paper, eq. 2).

    ``code_weight`` is the paper's beta (eq. 2, 11); vaelab keeps "beta" for the KL
    weight, which this model, having no KL term, does not use.

    ``reg`` picks L_REG:

    - ``l2``: ||theta_decoder||^2 over the decoder's weight matrices (Tikhonov, eq. 4);
    - ``gp``: the gradient penalty ||grad_z D(z)||^2 at the training codes, by a double
      backward (see :func:`~vaelab.objectives.regularizers.gradient_penalty` for the form);
    - ``sn``: no explicit term; spectral normalisation (torch's parametrisation) on every
      decoder layer, theta_l / s(theta_l) (Miyato et al. 2018);
    - ``none``: the ``rae`` model, the code penalty only; with code_weight = 0 it is the plain AE.

    The defaults (:class:`RAEOptions`) are the authors' MNIST configuration. Without a
    prior to sample, new data come from a density fitted to the codes:
    ``vaelab sample --sampler gmm``.
    """

    has_prior = False
    n_sampler = "gaussian"

    @property
    def lam(self) -> float:
        """lambda: ``model.options.lam``, or the authors' value for the regulariser when it is null."""
        lam = self.options.lam
        return float(DEFAULT_LAMBDA[self.options.reg] if lam is None else lam)

    @property
    def compilable(self) -> bool:
        """torch.compile cannot trace the double backward of the gradient penalty."""
        return self.options.reg != "gp"

    def finish_build(self) -> None:
        """RAE-SN: spectral normalisation on every decoder layer (after initialisation, so it sees the initial weights)."""
        if self.options.reg != "sn":
            return
        for part in (self.decoder, self.likelihood_head):
            for m in list(part.modules()):
                if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d)):
                    spectral_norm(m)

    def penalised_loss(self, x, **side):
        z = self.code(x, **side)  # (B, d)
        decode = lambda zz: self.decode(zz, **side)  # noqa: E731
        reg, extras = self.options.reg, {}
        if reg == "gp":
            gp, p = gradient_penalty(decode, z, self.options.gp_form)  # (B,)
            penalty, extras["gp"] = self.lam * gp.mean(), gp
        else:
            p = decode(z)
            penalty = torch.zeros((), device=z.device)
            if reg == "l2":
                l2 = weight_l2(self.decoder) + weight_l2(self.likelihood_head)  # 0-d
                penalty, extras["weight_l2"] = self.lam * l2, l2.detach()
        zreg = code_l2(z)  # (B,)
        extras["code_l2"] = zreg
        return self.terms(x, z, p, penalty + self.options.code_weight * zreg.mean(), **extras)
