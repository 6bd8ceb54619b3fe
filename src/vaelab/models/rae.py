"""Regularized autoencoders (Ghosh et al. 2020, 'From variational to deterministic autoencoders', eq. 2-4)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from vaelab.models.autoencoder import DeterministicAutoencoder
from vaelab.models.registry import register_model
from vaelab.objectives.regularizers import code_l2, gradient_penalty, weight_l2

REGULARIZERS = ("none", "l2", "gp", "sn")


@register_model("rae", "regularized autoencoder: deterministic code, L_REC + beta * ½‖z‖² + lambda * L_REG "
                "(options beta, reg = none, l2, gp or sn, lam, rec); sample with an ex-post density",
                "Ghosh et al. 2020, 'From variational to deterministic autoencoders', eq. 2-4",
                settings={"model.posterior": "deterministic"})
class RAE(DeterministicAutoencoder):
    """loss = mean(L_REC + beta * 1/2 ||z||^2) + lambda * L_REG, with z = E(x) (RAE paper, eq. 2).

    ``reg`` picks L_REG:

    - ``l2``: ||theta_decoder||^2 over the decoder's weight matrices (Tikhonov, eq. 4);
    - ``gp``: the gradient penalty ||grad_z D(z)||^2 at the training codes, by a double
      backward (see :func:`~vaelab.objectives.regularizers.gradient_penalty` for the form);
    - ``sn``: no explicit term; spectral normalisation (torch's parametrisation) on every
      decoder layer, theta_l / s(theta_l) (Miyato et al. 2018);
    - ``none``: the ``rae`` model, the beta term only; with beta = 0 it is the plain AE.

    Defaults are the authors' MNIST configuration: beta = 1e-4 with lambda = 1e-7 for L2
    and lambda = 5e-8 for GP (RAE code release, MNIST config). Without a prior to sample,
    new data come from a density fitted to the codes: ``vaelab sample --sampler gmm``.
    """

    has_prior = False
    n_sampler = "gaussian"
    option_defaults = {**DeterministicAutoencoder.option_defaults,
                       "beta": 1e-4, "reg": "none", "lam": None, "gp_form": "sum"}
    #: lambda when the option is left at None
    DEFAULT_LAMBDA = {"l2": 1e-7, "gp": 5e-8, "sn": 0.0, "none": 0.0}

    @classmethod
    def check_options(cls, options: dict) -> None:
        super().check_options(options)
        if options["reg"] not in REGULARIZERS:
            raise ValueError(f"model.options.reg must be one of {', '.join(REGULARIZERS)}, not {options['reg']!r}")
        if float(options["beta"]) < 0 or (options["lam"] is not None and float(options["lam"]) < 0):
            raise ValueError("model.options.beta and model.options.lam must be >= 0")
        if options["gp_form"] not in ("sum", "frobenius"):
            raise ValueError(f"model.options.gp_form must be sum or frobenius, not {options['gp_form']!r}")

    @property
    def lam(self) -> float:
        lam = self.options["lam"]
        return float(self.DEFAULT_LAMBDA[self.options["reg"]] if lam is None else lam)

    @property
    def compilable(self) -> bool:
        """torch.compile cannot trace the double backward of the gradient penalty."""
        return self.options["reg"] != "gp"

    def finish_build(self) -> None:
        """RAE-SN: spectral normalisation on every decoder layer (after initialisation, so it sees the initial weights)."""
        if self.options["reg"] != "sn":
            return
        for part in (self.decoder, self.likelihood_head):
            for m in list(part.modules()):
                if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d)):
                    spectral_norm(m)

    def objective(self, x, beta, **side):
        z = self.code(x, **side)  # (B, d)
        decode = lambda zz: self.decode(zz, **side)  # noqa: E731
        reg, extras = self.options["reg"], {}
        if reg == "gp":
            gp, p = gradient_penalty(decode, z, self.options["gp_form"])  # (B,)
            penalty, extras["gp"] = self.lam * gp.mean(), gp
        else:
            p = decode(z)
            penalty = torch.zeros((), device=z.device)
            if reg == "l2":
                l2 = weight_l2(self.decoder) + weight_l2(self.likelihood_head)  # 0-d
                penalty, extras["weight_l2"] = self.lam * l2, l2.detach()
        zreg = code_l2(z)  # (B,)
        extras["code_l2"] = zreg
        return self.terms(x, z, p, penalty + float(self.options["beta"]) * zreg.mean(), **extras)
