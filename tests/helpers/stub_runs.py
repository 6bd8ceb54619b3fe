"""A :class:`vaelab.rundir.Run` over a stand-in model and data, for tests that need no training."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import torch

from vaelab.rundir import Run


class StubRun(Run):
    """A Run whose ``data`` and evaluation tensors are given (no side inputs), optionally with diagnostics.

    ``x`` maps a split name to its (N, ...) tensor, or is one tensor for every split.
    """

    def __init__(self, path: Path, model, data, x, meta: dict | None = None, diagnostics: dict | None = None):
        config = SimpleNamespace(train=SimpleNamespace(seed=0), data=SimpleNamespace(name="stub"),
                                 model=SimpleNamespace(name="stub"))
        super().__init__(Path(path), config, model, meta or {}, "epoch_0001", torch.device("cpu"))
        self.data = data  # Run.data is a cached property: the stub stands in for load_data
        self._x, self._diagnostics = x, diagnostics or {}

    @property
    def diagnostics(self) -> dict:
        return self._diagnostics

    def eval_data(self, split: str = "test") -> torch.Tensor:
        return self._x[split] if isinstance(self._x, dict) else self._x

    def eval_side(self, split: str = "test") -> dict:
        return {}
