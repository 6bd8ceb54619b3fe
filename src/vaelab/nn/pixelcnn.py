"""Gated PixelCNN conditioned on a vector (van den Oord et al. 2016, "Conditional image generation
with PixelCNN decoders", sec. 2.1-2.3), for binary single-channel images.

He et al. 2019 ("Lagging inference networks") and the posterior-collapse literature use
it as a strong autoregressive VAE decoder: p(x|z) = prod_i p(x_i | x_<i, z) in raster
order. He et al. use 13 gated layers of 64 channels; our defaults (4 layers, 32
channels, kernel 5) are sized for CPU and all three are configurable.

Causality without a blind spot (van den Oord et al. 2016, sec. 2.2, fig. 1-2) comes
from two stacks:

* the **vertical** stack: output row r sees only input rows above r, every column
  within the kernel's reach, so no pixel above-right is hidden;
* the **horizontal** stack: output (r, c) sees row r left of c (and c itself from the
  second layer on), plus the vertical stack's features at (r, c) through a 1x1 conv.

Instead of masking full k x k kernels we use cropped kernels with one-sided padding,
which is the same function without the multiply-by-zero half. Mask type 'A' (first
layer: the current pixel / row excluded) is the type-'B' convolution (current pixel /
row included) followed by a shift down (vertical) or right (horizontal) by one.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def down_shift(x: torch.Tensor) -> torch.Tensor:
    """Row r takes row r - 1; row 0 becomes zeros: (B, C, H, W) -> (B, C, H, W)."""
    return F.pad(x, (0, 0, 1, 0))[:, :, :-1, :]


def right_shift(x: torch.Tensor) -> torch.Tensor:
    """Column c takes column c - 1; column 0 becomes zeros: (B, C, H, W) -> (B, C, H, W)."""
    return F.pad(x, (1, 0, 0, 0))[:, :, :, :-1]


def gate(t: torch.Tensor) -> torch.Tensor:
    """tanh(a) * sigmoid(b) over the channel halves (van den Oord et al. 2016, eq. 2): (B, 2C, ...) -> (B, C, ...)."""
    a, b = t.chunk(2, dim=1)
    return torch.tanh(a) * torch.sigmoid(b)


def _check_mask(mask: str) -> bool:
    if mask not in ("A", "B"):
        raise ValueError(f"mask type must be 'A' or 'B', not {mask!r}")
    return mask == "A"


class VerticalConv(nn.Module):
    """A (k//2 + 1) x k kernel over the rows above: output row r sees input rows r - k//2 .. r
    (mask 'B') or r - k//2 - 1 .. r - 1 (mask 'A'), columns c - k//2 .. c + k//2."""

    def __init__(self, in_c: int, out_c: int, kernel: int, mask: str):
        super().__init__()
        self.pad = kernel // 2
        self.shift = _check_mask(mask)
        self.conv = nn.Conv2d(in_c, out_c, (self.pad + 1, kernel))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(F.pad(x, (self.pad, self.pad, self.pad, 0)))  # (B, out, H, W)
        return down_shift(y) if self.shift else y


class HorizontalConv(nn.Module):
    """A 1 x (k//2 + 1) kernel along the row: output (r, c) sees input (r, c - k//2 .. c)
    (mask 'B') or (r, c - k//2 - 1 .. c - 1) (mask 'A')."""

    def __init__(self, in_c: int, out_c: int, kernel: int, mask: str):
        super().__init__()
        self.pad = kernel // 2
        self.shift = _check_mask(mask)
        self.conv = nn.Conv2d(in_c, out_c, (1, self.pad + 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(F.pad(x, (self.pad, 0, 0, 0)))  # (B, out, H, W)
        return right_shift(y) if self.shift else y


class GatedLayer(nn.Module):
    """One gated layer with vertical and horizontal stacks (van den Oord et al. 2016, fig. 2, eq. 4).

    y = tanh(W_f * x + V_f h) * sigmoid(W_g * x + V_g h), where the conditioning terms
    V h are one learned linear map of h per layer (one half per stack), broadcast over
    pixels. The vertical features feed the horizontal stack through a 1x1 conv; the
    horizontal stack ends in a 1x1 conv and, for type-'B' layers, a residual connection
    (the type-'A' first layer has none: it would pass x_i to its own prediction).
    """

    def __init__(self, in_c: int, channels: int, kernel: int, cond_features: int, mask: str):
        super().__init__()
        self.v_conv = VerticalConv(in_c, 2 * channels, kernel, mask)
        self.h_conv = HorizontalConv(in_c, 2 * channels, kernel, mask)
        self.v_to_h = nn.Conv2d(2 * channels, 2 * channels, 1)
        self.h_out = nn.Conv2d(channels, channels, 1)
        self.cond = nn.Linear(cond_features, 4 * channels)
        self.residual = mask == "B" and in_c == channels

    def forward(self, v: torch.Tensor, h: torch.Tensor, cond: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        cv, ch = self.cond(cond)[:, :, None, None].chunk(2, dim=1)  # (B, 2C, 1, 1) each
        v_feat = self.v_conv(v)  # (B, 2C, H, W)
        h_feat = self.h_conv(h) + self.v_to_h(v_feat) + ch  # (B, 2C, H, W)
        h_new = self.h_out(gate(h_feat))  # (B, C, H, W)
        if self.residual:
            h_new = h_new + h
        return gate(v_feat + cv), h_new


class PixelCNN(nn.Module):
    """Conditional gated PixelCNN: ``forward(x, h)`` -> Bernoulli logits (B, 1, H, W).

    The logit at pixel (r, c) depends on x only through pixels before (r, c) in raster
    order, and on the conditioning vector h (B, cond_features). The first gated layer
    has mask type 'A', the others 'B'; an output block ReLU -> 1x1 -> ReLU -> 1x1 maps
    the horizontal stack to one logit per pixel. Because nothing looks downwards,
    ``forward`` on the top rows ``x[:, :, :r + 1]`` gives exactly the top rows of the
    full output, which autoregressive sampling uses to save work.
    """

    def __init__(self, in_shape, cond_features: int, layers: int = 4, channels: int = 32, kernel: int = 5):
        super().__init__()
        in_shape = tuple(int(s) for s in in_shape)
        if len(in_shape) == 2:
            in_shape = (1, *in_shape)
        if len(in_shape) != 3 or in_shape[0] != 1:
            raise ValueError(f"the PixelCNN models binary single-channel images (1, H, W); got {in_shape}")
        if layers < 1 or channels < 1 or kernel < 1 or kernel % 2 == 0:
            raise ValueError(f"PixelCNN needs layers >= 1, channels >= 1 and an odd kernel; "
                             f"got layers={layers}, channels={channels}, kernel={kernel}")
        self.in_shape = in_shape
        self.cond_features = int(cond_features)
        self.layers = nn.ModuleList(
            GatedLayer(1 if i == 0 else channels, channels, kernel, self.cond_features, "A" if i == 0 else "B")
            for i in range(layers))
        self.out = nn.Sequential(nn.ReLU(), nn.Conv2d(channels, channels, 1), nn.ReLU(), nn.Conv2d(channels, 1, 1))

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        x = x.to(h.dtype)
        if x.dim() == 3:
            x = x.unsqueeze(1)  # (B, H, W) -> (B, 1, H, W)
        v = hz = x  # (B, 1, H, W)
        for layer in self.layers:
            v, hz = layer(v, hz, h)  # (B, C, H, W) each
        return self.out(hz)  # (B, 1, H, W)


__all__ = ["GatedLayer", "HorizontalConv", "PixelCNN", "VerticalConv", "down_shift", "gate", "right_shift"]
