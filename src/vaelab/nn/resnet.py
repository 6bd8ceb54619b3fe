"""A small residual convolutional encoder (He, Zhang, Ren & Sun 2016, "Deep residual learning").

He et al. 2019 ("Lagging inference networks and posterior collapse in VAEs") pair a
ResNet encoder with a PixelCNN decoder for binary images; this is a light version of
that encoder: a 3x3 stem, then stages of residual blocks, each stage after the first
halving the resolution with a stride-2 convolution, then flatten.
"""

from __future__ import annotations

import torch
from torch import nn

from vaelab.nn.mlp import activation


def _conv_bn(in_c: int, out_c: int, kernel: int, stride: int, batch_norm: bool) -> nn.Sequential:
    """``Conv2d -> [BatchNorm2d]``; the conv drops its bias when BN follows (BN's shift replaces it)."""
    layers: list[nn.Module] = [nn.Conv2d(in_c, out_c, kernel, stride=stride, padding=kernel // 2,
                                         bias=not batch_norm)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_c))
    return nn.Sequential(*layers)


class ResidualBlock(nn.Module):
    """``act(F(x) + S(x))`` with F = conv3x3 -> [BN] -> act -> conv3x3 -> [BN] (He et al. 2016, fig. 2).

    S is the identity, or a 1x1 projection (with the same stride) when the channel
    count or the resolution changes (He et al. 2016, eq. 2, option B).
    """

    def __init__(self, in_c: int, out_c: int, stride: int = 1, act: str = "relu", batch_norm: bool = False):
        super().__init__()
        self.body = nn.Sequential(_conv_bn(in_c, out_c, 3, stride, batch_norm), activation(act),
                                  _conv_bn(out_c, out_c, 3, 1, batch_norm))
        self.skip = nn.Identity() if in_c == out_c and stride == 1 else _conv_bn(in_c, out_c, 1, stride, batch_norm)
        self.act = activation(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.body(x) + self.skip(x))  # (B, C, H, W) -> (B, C', H/s, W/s)


def _downsampled(size: int, times: int) -> int:
    """Spatial size after ``times`` stride-2 3x3 convs with padding 1: ceil(n / 2) each time."""
    for _ in range(times):
        size = (size - 1) // 2 + 1
    return size


class ResNetEncoder(nn.Module):
    """Stem conv, residual stages, flatten: (B, C, H, W) -> (B, F).

    ``channels[s]`` is the width of stage s; each stage holds ``blocks_per_stage``
    residual blocks and every stage after the first starts with a stride-2 block, so
    with the default three stages a 28x28 image ends as 7x7 maps of ``channels[-1]``.
    ``out_features`` is the flattened width, which a head consumes.
    """

    def __init__(self, in_shape, channels=(32, 64, 64), blocks_per_stage: int = 1, act: str = "relu",
                 batch_norm: bool = False):
        super().__init__()
        if len(in_shape) == 2:
            in_shape = (1, *in_shape)
        if len(in_shape) != 3:
            raise ValueError(f"the ResNet encoder needs image data (C, H, W); got event shape {tuple(in_shape)}")
        channels = tuple(int(c) for c in channels)
        if not channels or blocks_per_stage < 1:
            raise ValueError("the ResNet encoder needs at least one stage and one block per stage")
        self.in_shape = tuple(int(s) for s in in_shape)
        self.stem = nn.Sequential(_conv_bn(self.in_shape[0], channels[0], 3, 1, batch_norm), activation(act))
        self.stages = nn.Sequential(*(self._stage(c_in, c_out, s > 0, blocks_per_stage, act, batch_norm)
                                      for s, (c_in, c_out) in enumerate(zip(channels[:1] + channels, channels))))
        self.flatten = nn.Flatten()
        n_down = len(channels) - 1
        h, w = (_downsampled(n, n_down) for n in self.in_shape[1:])
        self.out_features = channels[-1] * h * w

    @staticmethod
    def _stage(c_in: int, c_out: int, downsample: bool, blocks: int, act: str, batch_norm: bool) -> nn.Sequential:
        first = ResidualBlock(c_in, c_out, 2 if downsample else 1, act, batch_norm)
        rest = [ResidualBlock(c_out, c_out, 1, act, batch_norm) for _ in range(blocks - 1)]
        return nn.Sequential(first, *rest)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(x.shape[0], *self.in_shape)  # (B, C, H, W)
        return self.flatten(self.stages(self.stem(x)))  # (B, F)


__all__ = ["ResNetEncoder", "ResidualBlock"]
