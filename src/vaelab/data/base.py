"""The common data interface: a dataset is a few tensors plus what kind of values they hold."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional

import numpy as np
import torch

from vaelab.errors import DataError

# binary: values in {0, 1}; unit: continuous in [0, 1]; real: unbounded; tokens: integer ids
DataKind = Literal["binary", "unit", "real", "tokens"]


@dataclass
class Split:
    """One split: ``x`` is (N, *event_shape); ``y`` optional integer labels (N,); ``score`` optional floats (N,)."""

    x: torch.Tensor
    y: Optional[torch.Tensor] = None
    score: Optional[torch.Tensor] = None

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def to(self, device) -> "Split":
        move = lambda t: None if t is None else t.to(device)  # noqa: E731
        return Split(self.x.to(device), move(self.y), move(self.score))

    def take(self, n: int) -> "Split":
        cut = lambda t: None if t is None else t[:n]  # noqa: E731
        return Split(self.x[:n], cut(self.y), cut(self.score))


@dataclass
class DataBundle:
    """A dataset as train/valid/test splits that share an event shape and a kind."""

    name: str
    kind: DataKind
    event_shape: tuple[int, ...]
    train: Split
    valid: Split
    test: Split
    info: dict = field(default_factory=dict)

    def split(self, name: str) -> Split:
        if name not in ("train", "valid", "test"):
            raise DataError(f"unknown split '{name}'; choose train, valid or test")
        return getattr(self, name)

    @property
    def n_classes(self) -> int | None:
        """Number of label classes: from the dataset's class list, else the largest label + 1; None without labels."""
        if "classes" in self.info:
            return len(self.info["classes"])
        labels = [s.y for s in (self.train, self.valid, self.test) if s.y is not None and len(s.y)]
        return int(max(int(y.max()) for y in labels)) + 1 if labels else None

    def describe(self) -> str:
        return (f"{self.name}: {self.kind}, event shape {self.event_shape}, "
                f"{len(self.train)}/{len(self.valid)}/{len(self.test)} train/valid/test")


def as_tensor(x, kind: DataKind, name: str = "data") -> torch.Tensor:
    """Convert an array to the storage dtype: uint8 for binary, int64 for tokens, float32 otherwise."""
    arr = np.asarray(x)
    if kind == "binary":
        if not ((arr == 0) | (arr == 1)).all():  # check before the uint8 cast would hide 0.5 or -1
            raise DataError(f"dataset '{name}' is declared binary but holds values other than 0 and 1; "
                            "binarise it first or declare it 'unit' (values in [0, 1])")
        return torch.from_numpy(np.ascontiguousarray(arr.astype(np.uint8)))
    if kind == "tokens":
        return torch.from_numpy(np.ascontiguousarray(arr.astype(np.int64)))
    return torch.from_numpy(np.ascontiguousarray(arr.astype(np.float32)))


def as_labels(y) -> Optional[torch.Tensor]:
    if y is None:
        return None
    return torch.from_numpy(np.ascontiguousarray(np.asarray(y).astype(np.int64)).reshape(-1))


def validate_values(x: torch.Tensor, kind: DataKind, name: str) -> None:
    """Values matching the declared kind (NaN/Inf are refused before, by :func:`vaelab.data.checks.check_raw`)."""
    if kind == "binary" and x.numel() and int(x.max()) > 1:
        raise DataError(f"dataset '{name}' is declared binary but holds values above 1")
    if kind == "unit" and x.numel() and (float(x.min()) < 0.0 or float(x.max()) > 1.0):
        raise DataError(f"dataset '{name}' is declared in [0, 1] but holds values outside it; "
                        "rescale it or declare it 'real'")
