"""Choosing the device."""

from __future__ import annotations

import torch

from vaelab.errors import ConfigError


def resolve_device(name: str = "auto") -> torch.device:
    """``auto``: CUDA if available, else CPU. Otherwise the named device, checked for availability."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"config key 'train.device': unknown device '{name}'; use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("config key 'train.device': CUDA was requested but is not available; use device=auto or cpu")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("config key 'train.device': MPS was requested but is not available; use device=auto or cpu")
    return device
