"""In-memory data given to :func:`vaelab.train`: NumPy arrays or torch tensors, as the ``array`` dataset's arrays.

``data=x``, ``data=(x, y)`` or ``data={"x": x, "y": y, "score": s}``: x is (N, ...) numbers,
y (N,) integer class labels, score (N,) numbers. The session saves them as
``RUN_DIR/inputs.npz`` and the run's config names that file (dataset ``array``), so every
later stage (evaluate, plot, sample, ``--resume``) reads them like any array file.
"""

from __future__ import annotations

import numpy as np

from vaelab.errors import ConfigError, DataError

#: the arrays a run can be given, as the ``array`` dataset's default keys name them
KEYS = ("x", "y", "score")
_USAGE = "data=x, data=(x, y) or data={'x': x, 'y': y, 'score': s} with NumPy arrays or torch tensors"


def is_array(value) -> bool:
    """A NumPy array or a torch tensor (torch is not imported to find out)."""
    return isinstance(value, np.ndarray) or type(value).__module__.startswith("torch")


def _as_numpy(value, key: str) -> np.ndarray:
    if not is_array(value):
        raise ConfigError(f"data: '{key}' is of type {type(value).__name__}, not an array; pass {_USAGE}")
    arr = value.detach().cpu().numpy() if hasattr(value, "detach") else value
    if arr.dtype.kind not in "biuf":
        raise DataError(f"data: '{key}' has dtype {arr.dtype}; pass numbers (float, int or bool)")
    return arr


def _named(data) -> dict:
    """The arrays of ``data`` by key; None where a tuple leaves y out."""
    if isinstance(data, dict):
        unknown = sorted(set(map(str, data)) - set(KEYS))
        if unknown or "x" not in data:
            what = f"unknown key(s) {', '.join(unknown)}" if unknown else "no 'x'"
            raise ConfigError(f"data: the dict has {what}; keys: x (required), y (labels), score")
        return dict(data)
    if isinstance(data, (tuple, list)):
        if not 1 <= len(data) <= 2:
            raise ConfigError(f"data: a tuple of {len(data)} items; pass {_USAGE}")
        return dict(zip(("x", "y"), data))
    return {"x": data}


def input_arrays(data) -> dict[str, np.ndarray] | None:
    """The arrays of ``data`` checked and as NumPy (x, and y/score when given), or None for a dataset name."""
    if data is None or isinstance(data, str):
        return None
    arrays = {k: _as_numpy(v, k) for k, v in _named(data).items() if v is not None}
    x = arrays["x"]
    if x.ndim == 0:
        raise DataError("data: x is a single number; pass an array of shape (N, ...), one row per example")
    for key in ("y", "score"):
        a = arrays.get(key)
        if a is not None and (a.ndim != 1 or len(a) != len(x)):
            raise DataError(f"data: '{key}' has shape {a.shape}; it needs one value per example of x: ({len(x)},)")
    if "y" in arrays and arrays["y"].dtype.kind not in "biu":
        raise DataError(f"data: the labels y have dtype {arrays['y'].dtype}; pass integer class numbers 0..K-1 "
                        "(e.g. y.astype(int))")
    return arrays
