"""An autoregressive likelihood: p(x|z) = prod_i Bernoulli(x_i; sigmoid(f_i(x_<i, h))), h = decoder(z).

The conditionals come from a gated PixelCNN (van den Oord et al. 2016, "Conditional
image generation with PixelCNN decoders"), the decoder He et al. 2019 ("Lagging
inference networks and posterior collapse in VAEs") use for binary images. Such a
decoder can model x well while ignoring z, which is what makes posterior collapse
a live problem in this setting.

Costs differ from the factorised heads: ``log_prob`` is one network pass per
(sample, example) pair (teacher forcing); ``sample`` and ``mean`` are H * W passes.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vaelab.distributions.base import Distribution
from vaelab.nn.pixelcnn import PixelCNN


class PixelCNNBernoulli(Distribution):
    """p(x | h) with PixelCNN conditionals; batch shape = h.shape[:-1], event shape (1, H, W) (or (H, W)).

    ``h`` may carry leading sample dimensions, (K, B, F): ``log_prob`` then flattens
    them and broadcasts an x of shape (B, *event) across K.
    """

    def __init__(self, net: PixelCNN, h: torch.Tensor, event_shape: tuple[int, ...]):
        self.net = net
        self.h = h  # (*batch, F)
        self._event_shape = tuple(event_shape)
        self.event_ndim = len(self._event_shape)
        self._mean: torch.Tensor | None = None
        self._forced: tuple | None = None  # (x as given, (flat x, logits)) of the last teacher-forced pass

    @property
    def batch_shape(self) -> torch.Size:
        return self.h.shape[:-1]

    @property
    def event_shape(self) -> torch.Size:
        return torch.Size(self._event_shape)

    def _flat_h(self) -> torch.Tensor:
        return self.h.reshape(-1, self.h.shape[-1])  # (N, F), N = prod(batch)

    def _flat_x(self, x: torch.Tensor) -> torch.Tensor:
        """x broadcast to (*batch, *event), then flattened to the network's (N, 1, H, W)."""
        if tuple(x.shape[x.dim() - self.event_ndim:]) != self._event_shape:
            raise ValueError(f"PixelCNN likelihood: x has shape {tuple(x.shape)}, "
                             f"expected trailing event shape {self._event_shape}")
        x = x.to(self.h.dtype).expand(*self.batch_shape, *self._event_shape)  # (*batch, *event)
        return x.reshape(-1, *self.net.in_shape)  # (N, 1, H, W)

    def _teacher_forced(self, value: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Flattened x (N, 1, H, W) and its logits (N, 1, H, W); one pass per distinct x object.

        The last pass is kept, so ``log_prob(x)`` followed by ``reconstruction(x)`` with
        the same tensor ``x`` runs the network once.
        """
        if self._forced is not None and self._forced[0] is value:
            return self._forced[1]
        x = self._flat_x(value)  # (N, 1, H, W)
        out = (x, self.net(x, self._flat_h()))  # (N, 1, H, W) each
        self._forced = (value, out)
        return out

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits f_i(x_<i, h): (*batch, *event)."""
        _, out = self._teacher_forced(x)  # (N, 1, H, W)
        return out.reshape(*self.batch_shape, *self._event_shape)

    def reconstruction(self, x: torch.Tensor) -> torch.Tensor:
        """Teacher-forced probabilities p(x_i = 1 | x_<i, h), given the data x: (*batch, *event).

        One differentiable pass (shared with ``log_prob(x)``), unlike ``mean``; the usual
        "reconstruction" of a PixelCNN VAE. It depends on x_<i as well as on h.
        """
        return torch.sigmoid(self.logits(x))

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        """sum_i log p(x_i | x_<i, h) = -BCE-with-logits summed over the event: (*batch,)."""
        x, logits = self._teacher_forced(value)  # (N, 1, H, W) each
        nll = F.binary_cross_entropy_with_logits(logits, x, reduction="none")  # (N, 1, H, W)
        return -nll.reshape(x.shape[0], -1).sum(-1).reshape(self.batch_shape)  # (*batch,)

    def rsample(self, sample_shape: tuple[int, ...] = ()) -> torch.Tensor:
        raise NotImplementedError("a PixelCNN Bernoulli has no reparameterised sample; use sample()")

    @torch.no_grad()
    def _raster_scan(self, h: torch.Tensor, greedy: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw pixels one by one in raster order: (N, F) -> image (N, 1, H, W), probabilities (N, 1, H, W).

        Pixel (r, c) is drawn from sigmoid(f_(r,c)) (or set to 1 when that exceeds 1/2,
        if ``greedy``). H * W network passes; the pass for row r runs on rows 0..r only,
        which gives the same logits because no layer looks downwards.
        """
        _, height, width = self.net.in_shape
        x = torch.zeros(h.shape[0], *self.net.in_shape, dtype=h.dtype, device=h.device)  # (N, 1, H, W)
        probs = torch.zeros_like(x)  # (N, 1, H, W)
        for r in range(height):
            for c in range(width):
                p = torch.sigmoid(self.net(x[:, :, : r + 1], h)[:, :, r, c])  # (N, 1)
                probs[:, :, r, c] = p
                x[:, :, r, c] = (p > 0.5).to(x.dtype) if greedy else torch.bernoulli(p)
        return x, probs

    def sample(self, sample_shape: tuple[int, ...] = ()) -> torch.Tensor:
        """Ancestral samples x ~ p(x | h): (*sample_shape, *batch, *event), float 0/1.

        Cost: H * W network passes (784 for 28x28) on prod(sample_shape) * prod(batch) images.
        """
        sample_shape = tuple(sample_shape)
        h = self.h.expand(*sample_shape, *self.h.shape).reshape(-1, self.h.shape[-1])  # (S * N, F)
        x, _ = self._raster_scan(h, greedy=False)
        return x.reshape(*sample_shape, *self.batch_shape, *self._event_shape)

    @property
    def mean(self) -> torch.Tensor:
        """Per-pixel probabilities along the greedy decode (a deterministic stand-in, not E[x]).

        The true mean E[x_i] of an autoregressive model needs a Monte Carlo average over
        samples. Here pixels are decoded in raster order, each set to 1 exactly when
        p(x_i = 1 | x_<i, h) > 1/2 (the greedy, mode-seeking path), and ``mean`` returns
        those conditional probabilities p(x_i = 1 | x_<i, h) along that path. It is
        deterministic (useful for image grids, like a factorised head's mean image) and
        costs H * W network passes, without gradients; it is computed once and cached.
        For a differentiable reconstruction of data x, use :meth:`reconstruction`.
        Shape (*batch, *event).
        """
        if self._mean is None:
            _, probs = self._raster_scan(self._flat_h(), greedy=True)
            self._mean = probs.reshape(*self.batch_shape, *self._event_shape)
        return self._mean

    def reshape_batch(self, batch_shape: tuple[int, ...]) -> "PixelCNNBernoulli":
        h = self.h.reshape(*batch_shape, self.h.shape[-1])  # (*batch', F)
        return PixelCNNBernoulli(self.net, h, self._event_shape)


class PixelCNNHead(nn.Module):
    """Likelihood head owning a conditional gated PixelCNN: features h (B, F) -> :class:`PixelCNNBernoulli`.

    The decoder backbone maps z to h; h conditions every gated layer of the PixelCNN
    (van den Oord et al. 2016, eq. 4). ``n_out`` and ``n_params`` follow the factorised
    heads (``n_out * n_params`` values per example) for code that sizes chunks by them;
    the network's own working memory is far larger, about ``work_width`` floats per
    example in a no-grad pass (about 12 feature maps of ``channels`` planes live at once; measured on CPU).
    """

    n_params = 1

    def __init__(self, in_features: int, event_shape: tuple[int, ...], layers: int = 4, channels: int = 32,
                 kernel: int = 5):
        super().__init__()
        self.event_shape = tuple(int(s) for s in event_shape)
        self.n_out = math.prod(self.event_shape)
        self.work_width = 12 * channels * self.n_out
        self.net = PixelCNN(self.event_shape, in_features, layers=layers, channels=channels, kernel=kernel)

    def forward(self, h: torch.Tensor) -> PixelCNNBernoulli:
        return PixelCNNBernoulli(self.net, h, self.event_shape)


__all__ = ["PixelCNNBernoulli", "PixelCNNHead"]
