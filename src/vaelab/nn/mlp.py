"""A multilayer perceptron backbone (Kingma & Welling 2013, sec. 3; Bettencourt & Craddock, sec. 2.1)."""

from __future__ import annotations

import math

import torch
from torch import nn

ACTIVATIONS = {
    "softplus": nn.Softplus,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "elu": nn.ELU,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
}


def activation(name: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


class MLP(nn.Module):
    """Flatten the input, then ``Linear -> [BatchNorm] -> activation`` per hidden layer.

    Batch norm only ever sits on hidden layers, never on the output heads (Bettencourt & Craddock,
    sec. 2.5); with it, the linear layer drops its bias because BN's shift replaces it.
    ``out_features`` is the width of the last hidden layer, which a head consumes.
    """

    def __init__(self, in_shape, hidden: list[int], act: str = "softplus", batch_norm: bool = False):
        super().__init__()
        in_features = math.prod(in_shape) if isinstance(in_shape, (tuple, list)) else int(in_shape)
        self.in_features = in_features
        layers: list[nn.Module] = []
        width = in_features
        for size in hidden:
            layers.append(nn.Linear(width, size, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm1d(size))
            layers.append(activation(act))
            width = size
        self.layers = nn.Sequential(*layers)
        self.out_features = width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x.reshape(x.shape[0], self.in_features))  # (B, in) -> (B, out)
