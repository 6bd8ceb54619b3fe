"""Backbones: deterministic feature extractors with no probability code."""

from vaelab.nn.conv import ConvEncoder
from vaelab.nn.init import xavier_init_
from vaelab.nn.mlp import ACTIVATIONS, MLP

__all__ = ["ACTIVATIONS", "ConvEncoder", "MLP", "xavier_init_"]
