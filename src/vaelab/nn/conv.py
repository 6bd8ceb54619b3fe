"""The convolutional image encoder of the molecule article (Cho): four conv layers.

The article fixes only the depth (four convolutions in the encoder, four fully
connected layers in the decoder); widths, kernels and strides here are our choice:
3x3 kernels with strides 1, 2, 1, 2, so a 28x28 image becomes 7x7 feature maps.
"""

from __future__ import annotations

import torch
from torch import nn

from vaelab.nn.mlp import activation


def conv_stack(conv, norm, in_channels: int, channels, kernels, strides, act: str,
               batch_norm: bool) -> list[nn.Module]:
    """Convolution, optional batch norm, activation per layer, with "same"-style padding k // 2.

    ``conv``/``norm`` are the layer classes (Conv2d/BatchNorm2d for images, Conv1d/BatchNorm1d
    for token sequences), so any input size works with any stride.
    """
    layers: list[nn.Module] = []
    c = in_channels
    for out_c, k, s in zip(channels, kernels, strides):
        layers.append(conv(c, out_c, k, stride=s, padding=k // 2, bias=not batch_norm))
        if batch_norm:
            layers.append(norm(out_c))
        layers.append(activation(act))
        c = out_c
    return layers


class ConvEncoder(nn.Module):
    """``Conv2d -> [BatchNorm2d] -> activation`` blocks (four by default), then flatten: (B, C, H, W) -> (B, F).

    Strides alternate 1, 2, 1, 2, ... unless given.
    """

    def __init__(self, in_shape, channels=(32, 32, 64, 64), strides=None, kernel: int = 3,
                 act: str = "relu", batch_norm: bool = False):
        super().__init__()
        strides = tuple(strides) if strides is not None else tuple(1 + i % 2 for i in range(len(channels)))
        if len(strides) != len(channels):
            raise ValueError(f"conv encoder: {len(channels)} channel sizes but {len(strides)} strides")
        if len(in_shape) == 2:
            in_shape = (1, *in_shape)
        if len(in_shape) != 3:
            raise ValueError(f"the conv encoder needs image data (C, H, W); got event shape {tuple(in_shape)}")
        self.in_shape = tuple(in_shape)
        layers = conv_stack(nn.Conv2d, nn.BatchNorm2d, in_shape[0], channels, [kernel] * len(channels), strides,
                            act, batch_norm)
        self.layers = nn.Sequential(*layers, nn.Flatten())
        with torch.no_grad():
            self.out_features = int(self.layers(torch.zeros(1, *self.in_shape)).shape[-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x.reshape(x.shape[0], *self.in_shape))  # (B, C, H, W) -> (B, F)
