"""Regularized autoencoders (Ghosh et al. 2020, 'From variational to deterministic autoencoders', eq. 2-4)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Optional

import torch
from pydantic import Field
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from vaelab.distributions.sequence import TokenDistribution
from vaelab.models.autoencoder import AutoencoderOptions, DeterministicAutoencoder, reconstruction_loss
from vaelab.models.registry import register_model
from vaelab.objectives.regularizers import code_l2, code_mean_square, gradient_penalty, weight_l2

#: The authors' MNIST weights (RAE code release, ``configurations/config.py``, the MNIST
#: experiments RAE, RAE-L2, RAE-GP and RAE-SN), set against their loss (scaling=authors):
#: beta (``code_weight``) and lambda (``lam``) when the option is null, keyed by ``reg``
DEFAULT_CODE_WEIGHT = {"none": 5e-4, "l2": 1e-4, "gp": 1e-4, "sn": 9e-3}
DEFAULT_LAMBDA = {"none": 0.0, "l2": 1e-7, "gp": 5e-8, "sn": 0.0}

#: L_Z per example (B,) for each scaling: ½‖z‖² (the paper's eq. 2) or the authors' mean over dimensions of z²
CODE_PENALTY = {"vaelab": code_l2, "authors": code_mean_square}


def _defaults(table: dict) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in table.items())


class RAEOptions(AutoencoderOptions):
    """The RAE's weights, regulariser and loss scaling (Ghosh et al. 2020, eq. 2-4; defaults: the authors'
    MNIST configuration and loss)."""

    code_weight: Optional[float] = Field(
        None, ge=0.0, description="weight of the code penalty L_Z (scaling=authors: the mean of z_k^2 over the "
                                  "latent dimensions; vaelab: ½‖z‖²): the paper's beta (eq. 2), renamed because in "
                                  "vaelab beta is the KL weight only; null = the authors' value for reg: "
                                  + _defaults(DEFAULT_CODE_WEIGHT))
    reg: Literal["none", "l2", "gp", "sn"] = Field(
        "none", description="L_REG: none, l2 = decoder weight norm (eq. 4), gp = decoder gradient penalty, "
                            "sn = spectral normalisation of the decoder (sec. 3.1)")
    lam: Optional[float] = Field(
        None, ge=0.0, description="weight of L_REG; null = the authors' value for reg: " + _defaults(DEFAULT_LAMBDA))
    gp_form: Optional[Literal["sum", "authors", "frobenius"]] = Field(
        None, description="reg=gp: sum (||grad_z sum D(z)||^2), authors (the authors' code: the mean over latent "
                          "dimensions of (grad_z sum D(z)^2)^2) or frobenius (a one-probe Hutchinson estimate); "
                          "null = the scaling's: authors, or sum for scaling=vaelab")
    scaling: Literal["authors", "vaelab"] = Field(
        "authors", description="how the terms are reduced, which sets what beta and lambda mean: authors = the "
                               "authors' code, L_REC the mean over pixels of the squared error (rec=nll: of the "
                               "NLL) and L_Z the mean of z_k^2, so their published weights carry over; vaelab = "
                               "L_REC summed over pixels (rec) and L_Z = ½‖z‖², against which the same weights "
                               "weigh 25-2700x less (runs saved before this option read as vaelab)")

    renamed: ClassVar[dict[str, str]] = {"beta": "code_weight"}
    legacy: ClassVar[dict[str, Any]] = {"scaling": "vaelab"}


@register_model("rae", "regularized autoencoder: deterministic code, L_REC + code_weight · L_Z + lam · L_REG "
                "(reg = none, l2, gp or sn), scaled as the authors' code (per-pixel mean squared error, mean of "
                "z²) or as vaelab (summed NLL, ½‖z‖²); sample with an ex-post density",
                "Ghosh et al. 2020, 'From variational to deterministic autoencoders', eq. 2-4; the authors' code",
                settings={"model.posterior": "deterministic"}, options=RAEOptions)
class RAE(DeterministicAutoencoder):
    """loss = mean(L_REC + beta * L_Z) + lam * L_REG, with z = E(x) (RAE paper, eq. 2).

    beta is ``code_weight``, the paper's beta (eq. 2, 11); vaelab keeps "beta" for the KL
    weight, which this model, having no KL term, does not use. ``scaling`` fixes the
    reductions, and with them what beta and lambda mean:

    - ``authors`` (default): as the authors' Keras code (``models/rae/loss_functions.py``,
      ``total_loss``), so that their weights carry over: L_REC = (1/D) sum_i (x_i - D(z)_i)^2,
      the mean over the D pixels of the squared error (their ``recon_loss_type: l2``, Keras
      ``mse``); L_Z = (1/d) sum_k z_k^2 (``embeddig_loss``, no 1/2); L_GP in their form
      (``gp_form`` authors). The reported ``rec`` stays -log p(x|z) summed over the pixels
      (nats, comparable with the other models); the trained term is logged as ``rec_mean``.
    - ``vaelab``: L_REC = ``rec`` summed over the pixels (Bernoulli NLL for binary data),
      L_Z = 1/2 ||z||^2, the paper's formulas. L_REC is then D = 784 times a per-pixel mean
      on MNIST, and a NLL besides (about 3 times the squared error), and L_Z is d/2 times
      theirs, so the authors' beta and lambda weigh far less (on mnist5k, relative to the
      reconstruction: beta L_Z 25x, lam ||theta||^2 2700x, lam L_GP 1300x less; README).

    ``reg`` picks L_REG, the same under both scalings:

    - ``l2``: ||theta_decoder||^2 over the decoder's weight matrices, no 1/2, biases left out
      (Tikhonov, eq. 4; the authors' Keras ``kernel_regularizer=l2(lam)``, which is
      lam * sum w^2 on the kernels of their decoder's transposed convolutions);
    - ``gp``: the gradient penalty at the training codes, by a double backward (see
      :func:`~vaelab.objectives.regularizers.gradient_penalty` for the forms);
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
    def code_weight(self) -> float:
        """beta: ``model.options.code_weight``, or the authors' value for the regulariser when it is null."""
        weight = self.options.code_weight
        return float(DEFAULT_CODE_WEIGHT[self.options.reg] if weight is None else weight)

    @property
    def gp_form(self) -> str:
        """The gradient penalty's form: ``model.options.gp_form``, or the scaling's when it is null."""
        return self.options.gp_form or ("authors" if self.options.scaling == "authors" else "sum")

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
        p, penalty, extras = self.regularised_decode(z, **side)
        code = CODE_PENALTY[self.options.scaling](z)  # (B,)
        extras["code_l2"] = code
        trained = None
        if self.options.scaling == "authors":
            trained = reconstruction_loss(p, x, self.authors_rec(p), per_element=True)  # (B,)
            extras["rec_mean"] = trained.detach()
        return self.terms(x, z, p, penalty + self.code_weight * code.mean(), trained_rec=trained, **extras)

    def regularised_decode(self, z: torch.Tensor, **side):
        """p(x|z), the weighted L_REG (0-d) and its unweighted terms to log: ``gp`` (B,) or ``weight_l2`` (0-d)."""
        decode = lambda zz: self.decode(zz, **side)  # noqa: E731
        reg = self.options.reg
        if reg == "gp":
            gp, p = gradient_penalty(decode, z, self.gp_form)  # (B,)
            return p, self.lam * gp.mean(), {"gp": gp}
        p = decode(z)
        if reg == "l2":
            l2 = weight_l2(self.decoder) + weight_l2(self.likelihood_head)  # 0-d
            return p, self.lam * l2, {"weight_l2": l2.detach()}
        return p, torch.zeros((), device=z.device), {}

    def authors_rec(self, p) -> str:
        """The form of the authors' L_REC: ``rec``, where ``auto`` is their squared error (token data: the NLL)."""
        if self.options.rec != "auto":
            return self.options.rec
        return "nll" if isinstance(p, TokenDistribution) else "se"
