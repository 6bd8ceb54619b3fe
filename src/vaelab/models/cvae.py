"""The conditional VAE (Sohn et al. 2015): labels condition both the encoder and the decoder."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from vaelab.models.base import float32_head
from vaelab.models.registry import register_model
from vaelab.models.vae import VAE


@register_model("cvae", "conditional VAE: one-hot labels appended to the encoder input and to z; sample(n, y=...)",
                "Sohn, Lee & Yan 2015, 'Learning structured output representation using deep conditional "
                "generative models'")
class CVAE(VAE):
    """q(z|x, y) and p(x|z, y): ``onehot(y)`` is concatenated to the flattened x and to z.

    The ELBO is unchanged (``elbo_terms`` passes ``y`` through ``encode`` and ``decode``).
    ``n_classes`` is fixed when the model is built, from the training labels.
    """

    conditional = True
    side_inputs = ("y",)

    def _onehot(self, y: torch.Tensor) -> torch.Tensor:
        return F.one_hot(y.long(), self.n_classes).float()  # (B, C)

    def encode(self, x, y=None, **side):
        if y is None:
            raise ValueError("the conditional VAE needs labels y to encode")
        flat = x.reshape(x.shape[0], -1)  # (B, D)
        return float32_head(self.posterior_head, self.encoder(torch.cat([flat, self._onehot(y)], dim=-1)))

    def decoder_input(self, z, y=None, **side):
        if y is None:
            raise ValueError("the conditional VAE needs labels y to decode")
        return torch.cat([z, self._onehot(y.reshape(-1))], dim=-1)  # (N, d + C)

    @torch.no_grad()
    def sample(self, n: int, mean: bool = True, generator=None, y=None) -> torch.Tensor:
        """n draws for label(s) ``y`` (an int or a (n,) tensor; default: labels 0, 1, 2, ... in turn)."""
        device = self.prior._zero.device
        if y is None:
            y = torch.arange(n, device=device) % self.n_classes
        elif isinstance(y, int):
            y = torch.full((n,), y, device=device, dtype=torch.long)
        p = self.decode(self.prior.sample(n, generator=generator), y=y)
        return p.mean if mean else p.sample()
