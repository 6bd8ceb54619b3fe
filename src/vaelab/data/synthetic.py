"""Generated data with known latent factors: a low-dimensional manifold in many dimensions."""

from __future__ import annotations

import numpy as np

from vaelab.data.registry import LoadContext, RawDataset, register_dataset
from vaelab.errors import DataError

_OPTIONS = {"n": 2000, "dim": 64, "factors": 2, "kind": "binary", "noise": 0.05, "seed": 0, "classes": 4,
            "image_side": 0}


def make_manifold(n: int, dim: int, factors: int, kind: str, noise: float, seed: int):
    """z ~ N(0, I_factors); x = f(z) through a fixed random two-layer map.

    Returns (x, z): for ``binary`` x ~ Bernoulli(sigmoid(f(z))), for ``unit`` the
    probabilities themselves, for ``real`` f(z) + noise * N(0, I).
    """
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, factors)).astype(np.float32)  # (n, k)
    a = rng.standard_normal((factors, 32)).astype(np.float32)  # (k, 32)
    b = rng.standard_normal((32, dim)).astype(np.float32) * (3.0 / np.sqrt(32))  # (32, dim)
    f = np.tanh(z @ a) @ b  # (n, dim)
    if kind == "real":
        return (f + noise * rng.standard_normal(f.shape)).astype(np.float32), z
    p = 1.0 / (1.0 + np.exp(-f))
    if kind == "unit":
        return p.astype(np.float32), z
    return (rng.random(p.shape) < p).astype(np.uint8), z


@register_dataset("synthetic", "generated manifold data with known factors (options: n, dim or image_side, "
                  "factors, kind, ...)",
                  "generated", options=_OPTIONS)
def load_synthetic(ctx: LoadContext) -> RawDataset:
    o = ctx.options
    kind = o["kind"]
    if kind not in ("binary", "unit", "real"):
        raise DataError(f"synthetic option kind={kind!r}: choose binary, unit or real")
    for key in ("n", "dim", "factors", "classes"):
        if not isinstance(o[key], int) or o[key] < 1:
            raise DataError(f"synthetic option {key}={o[key]!r}: must be a positive integer")
    side = int(o["image_side"])
    dim = side * side if side > 0 else o["dim"]  # image_side > 0: (1, side, side) images instead of vectors
    x, z = make_manifold(o["n"], dim, o["factors"], kind, float(o["noise"]), int(o["seed"]))
    # Labels: the first factor cut into equally likely bins, so label plots have meaning.
    edges = np.quantile(z[:, 0], np.linspace(0, 1, o["classes"] + 1)[1:-1])
    y = np.digitize(z[:, 0], edges)
    shape = (1, side, side) if side > 0 else (dim,)
    return RawDataset(kind, shape, {"train": (x, y)}, {"factors": o["factors"], "labels": "bin of the first factor"})
