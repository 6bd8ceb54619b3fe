"""Synthetic run directories written exactly per docs/run-arrays.md, for the figure tests.

``make_run(path, case)`` writes ``arrays/*.npz``, ``diagnostics.json`` and
``metrics.jsonl`` for one of :data:`CASES`:

* ``image2d``: (1, 28, 28) unit images, 2-D latents, digit labels;
* ``image16d``: (1, 28, 28) binary-data images, 16-D latents (5 active), k-means labels;
* ``vector10``: flat 10-D real vectors, 4-D latents, no labels, deterministic encoder;
* ``tokens``: token sequences (the image figures do not apply; the molecule figures'
  arrays hold real QM9 SMILES, see :mod:`tests.plots.molecule_arrays`).

The image cases get the molecule files a non-token run gets: ``kind`` and ``reason``.

The "decoder" is a fixed function of z (a bright blob whose position and size follow
the two most active dimensions), so the figures have visible structure.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tests.helpers.molecule_arrays import write_molecule_arrays

CASES = ("image2d", "image16d", "vector10", "tokens")

_SPECS = {
    #            event shape, kind,     d, active, labels,                      stochastic
    "image2d": ((1, 28, 28), "unit", 2, 2, "digit label", True),
    "image16d": ((1, 28, 28), "binary", 16, 5, "k-means cluster of x", True),
    "vector10": ((10,), "real", 4, 3, None, False),
    "tokens": ((12,), "tokens", 8, 3, "digit label", True),
}


def _decode(z: np.ndarray, event_shape, kind: str, active: np.ndarray) -> np.ndarray:
    """A fixed smooth map from codes (..., d) to items (..., *event_shape)."""
    lead = z.shape[:-1]
    if kind == "tokens":
        return np.abs(np.round(z[..., :1] * 3 + np.arange(event_shape[0]))).astype(np.int64) % 20
    if len(event_shape) == 3:
        side = event_shape[-1]
        cx = side / 2 + 8 * np.tanh(z[..., active[0]] / 1.2)
        cy = side / 2 - 8 * np.tanh(z[..., active[1]] / 1.2)
        width = 2.0 + (1.2 * np.tanh(z[..., active[2]]) if len(active) > 2 else 0.0)
        yy, xx = np.mgrid[0:side, 0:side]
        d2 = (xx - cx[..., None, None]) ** 2 + (yy - cy[..., None, None]) ** 2
        img = np.exp(-d2 / (2 * np.asarray(width)[..., None, None] ** 2 * 4))
        ring = np.exp(-((np.sqrt(d2) - 6) ** 2) / 2.0) * 0.6
        return np.clip(img + ring, 0, 1)[..., None, :, :].reshape((*lead, *event_shape)).astype(np.float32)
    rng = np.random.default_rng(1)
    w = rng.standard_normal((z.shape[-1], event_shape[0]))
    return (np.tanh(z) @ w).astype(np.float32)


def _npz(path: Path, event_shape, kind: str, **arrays) -> None:
    items = {k: (v.astype(np.float16) if kind != "tokens" and v.dtype == np.float32 else v)
             for k, v in arrays.items()}
    np.savez(path, event_shape=np.asarray(event_shape, dtype=np.int64), kind=np.array(kind), **items)


def make_run(path: Path, case: str, n: int = 600, seed: int = 0) -> Path:
    """Write a complete synthetic run directory for ``case`` at ``path``; returns ``path``."""
    event_shape, kind, d, n_active, label_name, stochastic = _SPECS[case]
    rng = np.random.default_rng(seed)
    path = Path(path)
    arrays = path / "arrays"
    arrays.mkdir(parents=True, exist_ok=True)

    # Posterior: a few active dimensions with spread-out means, the rest collapsed to ~0.
    scale = np.full(d, 1e-3)
    active = rng.permutation(d)[:n_active] if d > 2 else np.arange(d)
    scale[active] = np.linspace(1.6, 0.6, n_active)
    mu = (rng.standard_normal((n, d)) * scale).astype(np.float32)
    logvar = np.where(np.isin(np.arange(d), active), -2.5, -1e-3) + 0.2 * rng.standard_normal((n, d))
    post = {"mu": mu}
    if stochastic:
        post["logvar"] = logvar.astype(np.float32)
    if label_name:
        post["labels"] = (np.digitize(mu[:, active[0]], [-1.0, -0.3, 0.3, 1.0]) * 2
                          + (mu[:, active[1]] > 0)).astype(np.int64)
        post["label_name"] = np.array(label_name)
    np.savez(arrays / "posterior_test.npz", **post)

    activity = mu.astype(np.float64).var(axis=0, ddof=1)
    order = np.argsort(-activity)
    dec = lambda z: _decode(z, event_shape, kind, order)  # noqa: E731

    # Reconstructions, samples.
    x = dec(mu[:24] + 0.3 * rng.standard_normal((24, d)))
    _npz(arrays / "reconstructions.npz", event_shape, kind, x=x, x_rec=dec(mu[:24]))
    _npz(arrays / "samples.npz", event_shape, kind, x=dec(rng.standard_normal((64, d))))

    # Traversals: S = 100 values over -10..10, one row per dimension, most active first.
    values = np.linspace(-10, 10, 100)
    z = np.zeros((d, len(values), d))
    z[np.arange(d), :, order] = values
    _npz(arrays / "traversals.npz", event_shape, kind, values=values.astype(np.float32), dims=order.astype(np.int64),
         activity=activity[order], x=dec(z), base=np.array("zero"))

    # Interpolations: P = 6 paths of S = 20 steps.
    t = np.linspace(0, 1, 20)
    za, zb = mu[:6].astype(np.float64), mu[6:12].astype(np.float64)
    lin = za[:, None] * (1 - t[:, None]) + zb[:, None] * t[:, None]
    end = rng.standard_normal((6, d))
    end = 10 * end / np.linalg.norm(end, axis=1, keepdims=True)
    origin = end[:, None] * t[:, None]
    masked = origin.copy()
    masked[..., order[:2]] = 0
    _npz(arrays / "interpolations.npz", event_shape, kind, t=t.astype(np.float32), linear=dec(lin),
         spherical=dec(lin * 1.1), origin=dec(origin), origin_masked=dec(masked), radius=np.array(10.0),
         masked_dims=order[:2].astype(np.int64))

    # Lattice: G = 12 prior quantiles on the two most active dimensions.
    grid = np.quantile(rng.standard_normal(100_000), np.linspace(0.03, 0.97, 12))
    zl = np.zeros((12, 12, d))
    zl[..., order[0]] = grid[None, :]
    zl[..., order[1]] = grid[:, None]
    _npz(arrays / "lattice.npz", event_shape, kind, dims=order[:2].astype(np.int64), grid=grid.astype(np.float32),
         x=dec(zl))

    write_molecule_arrays(arrays, kind, seed)

    kl_per_dim = np.where(activity > 0.01, 0.5 * (activity - logvar.mean(0) - 1 + np.exp(logvar.mean(0))), 1e-4)
    diagnostics = {
        "split": "test", "n": n, "checkpoint": "epoch_0010", "seed": 0, "time_s": 1.0,
        "neg_elbo": 100.0, "rec": 90.0, "kl": float(kl_per_dim.sum()), "loss": 100.0,
        "kl_per_dim": kl_per_dim.tolist(), "au": int((activity > 0.01).sum()),
        "activity_per_dim": activity.tolist(), "collapsed_dims": np.nonzero(activity <= 0.01)[0].tolist(),
        "au_threshold": 0.01, "skipped": {},
    }
    (path / "diagnostics.json").write_text(json.dumps(diagnostics, indent=2))

    records = []
    for epoch in range(1, 21):
        beta = min(1.0, epoch / 10)
        rec = 120 * np.exp(-epoch / 6) + 80
        kl = 4 + 8 * (1 - np.exp(-epoch / 4))
        records.append({"epoch": epoch, "beta": beta, "lr": 1e-3,
                        "train_loss": rec + beta * kl, "train_rec": rec, "train_kl": kl,
                        "valid_loss": rec + kl + 2, "valid_rec": rec + 2, "valid_kl": kl,
                        "valid_neg_elbo": rec + kl + 2, "valid_au": min(d, n_active + (epoch < 5)),
                        "valid_kl_per_dim": kl_per_dim.tolist(), "epoch_time_s": 0.5})
    (path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return path
