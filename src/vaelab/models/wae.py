"""The Wasserstein autoencoder with the MMD penalty (Tolstikhin et al. 2018, 'Wasserstein auto-encoders', Algorithm 2)."""

from __future__ import annotations

from typing import Optional

import torch
from pydantic import Field, PositiveFloat

from vaelab.models.autoencoder import AutoencoderOptions, DeterministicAutoencoder
from vaelab.models.registry import register_model
from vaelab.objectives.regularizers import mmd_imq


class WAEOptions(AutoencoderOptions):
    """The MMD penalty's weight and kernel (Tolstikhin et al. 2018, Algorithm 2 and sec. 4)."""

    lam: float = Field(10.0, ge=0.0, description="lambda, the weight of MMD^2 (the paper's 10 for MNIST)")
    kernel_c: Optional[PositiveFloat] = Field(
        None, description="the IMQ kernel's C; null = 2 * latent_dim (2 d sigma_z^2 with sigma_z = 1, sec. 4)")
    scales: list[PositiveFloat] = Field(
        default_factory=lambda: [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0], min_length=1,
        description="the kernel is summed over the constants s * C, s in scales")


@register_model("wae-mmd", "Wasserstein autoencoder: deterministic code, L_REC + lam · MMD(codes, N(0, I)) "
                "with the inverse multiquadratic kernel",
                "Tolstikhin et al. 2018, 'Wasserstein auto-encoders', Algorithm 2",
                settings={"model.posterior": "deterministic"}, options=WAEOptions)
class WAEMMD(DeterministicAutoencoder):
    """loss = mean(L_REC) + lambda * MMD^2_k({z_i}, {z~_i}), z_i = E(x_i), z~_i ~ N(0, I) (Algorithm 2).

    k is the inverse multiquadratic kernel C / (C + ||z - z'||^2) summed over the scales
    C = c * kernel_c, c in ``scales``; ``kernel_c`` defaults to 2 d sigma_z^2 with
    sigma_z = 1, the paper's choice for a standard normal prior (sec. 4), and lambda to
    the paper's 10 for MNIST. The codes are pushed towards N(0, I), so the prior is a
    sampler here (the FD "N" column uses it, as in the RAE paper's Table 1).
    """

    batch_loss = "its MMD penalty is a statistic of the whole batch"
    min_batch_size = 2  # vaelab.nn.batching.batch_minimum
    min_batch_reason = "the MMD compares the batch's codes with each other"

    def kernel_scales(self, device) -> torch.Tensor:
        """The kernel constants C_s = s * C: (S,)."""
        c = self.options.kernel_c
        c = 2.0 * self.latent_dim if c is None else c
        return torch.tensor([s * c for s in self.options.scales], device=device)

    def penalised_loss(self, x, **side):
        z = self.code(x, **side)  # (B, d)
        p = self.decode(z, **side)
        z_prior = torch.randn_like(z)  # (B, d) draws from p(z) = N(0, I), the only prior vaelab builds
        mmd = mmd_imq(z, z_prior, self.kernel_scales(z.device))  # 0-d
        return self.terms(x, z, p, self.options.lam * mmd, mmd=mmd.detach())
