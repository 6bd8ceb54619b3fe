"""Weight initialisation."""

from __future__ import annotations

from torch import nn


def xavier_init_(module: nn.Module) -> nn.Module:
    """Xavier-Glorot normal init, Var(w) = 2 / (n_in + n_out), zero biases (Bettencourt & Craddock, sec. 2.2)."""
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
            nn.init.xavier_normal_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return module
