"""Batch transforms applied on the training device, inside the hot loop."""

from __future__ import annotations

import torch


def dynamic_binarize(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw x_bin ~ Bernoulli(x) afresh for every batch (as in the IWAE paper's MNIST setup)."""
    return torch.bernoulli(x, generator=generator)


def threshold_binarize(x: torch.Tensor, level: float = 0.5) -> torch.Tensor:
    """Deterministic binarisation: 1 where x > level."""
    return (x > level).to(x.dtype)


def resolve_binarize(mode: str, kind: str, likelihood: str) -> str:
    """``auto`` binarises dynamically exactly when a Bernoulli (or PixelCNN) likelihood meets [0, 1] data."""
    if mode != "auto":
        return mode
    return "dynamic" if (likelihood in ("bernoulli", "pixelcnn") and kind == "unit") else "none"


def prepare_eval(x: torch.Tensor, mode: str, seed: int = 0) -> torch.Tensor:
    """A fixed float copy of an evaluation split.

    With dynamic binarisation the evaluation data is binarised once with a fixed
    seed, so validation and test figures are comparable across epochs and runs.
    """
    x = x.float()
    if mode == "dynamic":
        return dynamic_binarize(x, torch.Generator().manual_seed(seed))
    if mode == "threshold":
        return threshold_binarize(x)
    return x
