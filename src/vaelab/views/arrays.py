"""The arrays behind each figure, decoded from a run's model once and saved in ``RUN_DIR/arrays/``.

Each builder takes a :class:`~vaelab.rundir.Run` and returns a dict of numpy arrays
(the layout is in docs/run-arrays.md); it decodes, it never draws or scores.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from vaelab.plots.errors import TOKENS_REASON
from vaelab.views.codes import (
    _gen,
    _side,
    base_code,
    conditional,
    dim_activity,
    posterior_arrays,
    prior_side,
    sampled_codes,
)
from vaelab.views.molecules import MOLECULE_BUILDERS
from vaelab.views.paths import lerp, random_rays, slerp


def _meta(run) -> dict:
    return {"event_shape": np.asarray(run.meta["event_shape"], dtype=np.int64), "kind": np.asarray(run.data.kind)}


def _images(x: torch.Tensor) -> np.ndarray:
    """Decoded means as float16 (they are figures, not data)."""
    return x.detach().float().cpu().numpy().astype(np.float16)


@torch.no_grad()
def reconstruction_arrays(run, n: int = 16, seed: int = 0, split: str = "test") -> dict:
    """``n`` random examples of the split (seeded; splits may be stored sorted by label) and their reconstructions."""
    x = run.eval_data(split)
    idx = torch.randperm(x.shape[0], generator=_gen(run, seed), device=run.device)[:n].sort().values
    x, side = x[idx], _side(run, split, idx)
    q = run.model.encode(x, **side)
    return {"x": _images(x), "x_rec": _images(run.decode_means(q.mean, side=side)), **_meta(run)}


@torch.no_grad()
def sample_arrays(run, n: int = 64, seed: int = 0, sampler: str | None = None) -> dict:
    """Decoded samples from ``sampler`` (default: the model's ``n_sampler``, the prior for VAEs, a fitted
    Gaussian for models without one); conditional models cycle the labels 0, 1, 2, ..."""
    name = sampler or run.model.n_sampler
    z = sampled_codes(run, name, n, seed)  # (n, d)
    return {"x": _images(run.decode_means(z, side=prior_side(run, n))), "sampler": np.asarray(name),
            **_meta(run)}


def _fixed_side(run, n: int) -> dict:
    """Side inputs for decoding codes not tied to an example: the first test example's."""
    return _side(run, "test", torch.zeros(n, dtype=torch.long, device=run.device)) if conditional(run) else {}


@torch.no_grad()
def traversal_arrays(run, steps: int = 100, limit: float = 10.0, base: str = "zero") -> dict:
    """Single-dimension traversals (NE-VAE paper, sec. 5.3.1): each dimension from -limit to +limit.

    The other dimensions stay at 0 (``base="zero"``) or at the first test example's
    posterior mean (``base="data"``). Rows are ordered by activity, most active first.
    """
    d = run.model.latent_dim
    activity = dim_activity(run)
    order = np.argsort(-activity, kind="stable")
    values = torch.linspace(-limit, limit, steps, device=run.device)  # (S,)
    z0 = base_code(run, base)  # (d,)
    z = z0.expand(d, steps, d).clone()  # (d rows, S, d)
    rows = torch.as_tensor(order.copy(), device=run.device)
    z[torch.arange(d), :, rows] = values  # row r varies dimension order[r]
    x = run.decode_means(z.reshape(d * steps, d), side=_fixed_side(run, d * steps))
    return {"values": values.cpu().numpy(), "dims": order.astype(np.int64), "activity": activity[order],
            "x": _images(x.reshape(d, steps, *x.shape[1:])), "base": np.asarray(base), **_meta(run)}


@torch.no_grad()
def interpolation_arrays(run, pairs: int = 6, steps: int = 10, radius: float = 10.0, masked: int = 2,
                         seed: int = 0) -> dict:
    """Paths between random pairs of test codes (linear, spherical) and from the origin (NE-VAE sec. 5.3.2).

    ``origin`` walks from z = 0 to a random point at Euclidean distance ``radius``;
    ``origin_masked`` does the same with the ``masked`` most active dimensions held at 0.
    """
    gen = _gen(run, seed)
    x = run.eval_data("test")
    idx = torch.randperm(x.shape[0], generator=gen, device=run.device)[: 2 * pairs]
    pairs = idx.shape[0] // 2
    side = _side(run, "test", idx)
    mu = run.model.encode(x[idx], **side).mean  # (2P, d)
    a, b = mu[:pairs], mu[pairs : 2 * pairs]  # (P, d) each
    t = torch.linspace(0, 1, steps, device=run.device)
    d = run.model.latent_dim
    top = np.argsort(-dim_activity(run), kind="stable")[: min(masked, d - 1)]
    ends = random_rays(pairs, d, radius, generator=gen, device=run.device)
    ends_masked = random_rays(pairs, d, radius, masked=top.tolist(), generator=gen, device=run.device)
    zero = torch.zeros_like(ends)
    pair_side = {k: v[:pairs].repeat_interleave(steps, 0) for k, v in side.items()}
    fixed = _fixed_side(run, pairs * steps)

    def dec(path: torch.Tensor, s: dict) -> np.ndarray:  # (P, S, d) -> (P, S, *event)
        out = run.decode_means(path.reshape(-1, d), side=s)
        return _images(out.reshape(pairs, steps, *out.shape[1:]))

    return {"t": t.cpu().numpy(), "linear": dec(lerp(a, b, t), pair_side), "spherical": dec(slerp(a, b, t), pair_side),
            "origin": dec(lerp(zero, ends, t), fixed), "origin_masked": dec(lerp(zero, ends_masked, t), fixed),
            "masked_dims": top.astype(np.int64), "radius": np.asarray(radius), **_meta(run)}


@torch.no_grad()
def lattice_arrays(run, dims=None, size: int = 15) -> dict:
    """The decoder on a size x size grid over two dimensions at prior quantiles ("latent hyperplane lattice").

    Grid values are the standard normal quantiles at (i + 0.5) / size, so each cell
    covers equal prior mass; other dimensions are 0. A model without a prior (RAE, AE)
    uses the quantiles of a Gaussian fitted per dimension to its test codes instead,
    other dimensions at the code mean (``center``, ``scale`` saved). ``dims`` defaults
    to the two most active dimensions.
    """
    d = run.model.latent_dim
    if dims is None:
        dims = np.argsort(-dim_activity(run), kind="stable")[:2] if d > 1 else np.array([0, 0])
    dims = [int(v) for v in dims]
    if len(dims) != 2 or not all(0 <= v < d for v in dims):
        raise ValueError(f"lattice needs two latent dimensions in 0..{d - 1}, got {dims}")
    p = (torch.arange(size, dtype=torch.float64) + 0.5) / size
    q = torch.special.ndtri(p).float().to(run.device)  # (G,) standard normal quantiles
    center, scale = torch.zeros(d, device=run.device), torch.ones(d, device=run.device)
    extra = {}
    if not run.model.has_prior:  # no prior: a Gaussian fitted per dimension to the test codes stands in
        mu = torch.as_tensor(posterior_arrays(run, "test")["mu"], device=run.device)  # (N, d)
        center, scale = mu.mean(0), mu.std(0).clamp_min(1e-6)
        extra = {"center": center.cpu().numpy(), "scale": scale.cpu().numpy()}
    cols, rows = center[dims[0]] + scale[dims[0]] * q, center[dims[1]] + scale[dims[1]] * q  # (G,) each
    z = center.expand(size, size, d).clone()  # other dimensions at the centre
    z[:, :, dims[0]] = cols[None, :]  # columns: dims[0]
    z[:, :, dims[1]] = rows[:, None]  # rows: dims[1]
    x = run.decode_means(z.reshape(-1, d), side=_fixed_side(run, size * size))
    return {"dims": np.asarray(dims, dtype=np.int64), "grid": cols.cpu().numpy(), "grid_rows": rows.cpu().numpy(),
            "x": _images(x.reshape(size, size, *x.shape[1:])), **extra, **_meta(run)}


def _images_only(builder):
    """An image figure's builder; a token run gets a file holding the reason instead, and nothing is decoded."""
    @functools.wraps(builder)
    def build(run, **options) -> dict:
        if run.kind == "tokens":
            return {"kind": np.asarray("tokens"), "reason": np.asarray(TOKENS_REASON)}
        return builder(run, **options)
    return build


BUILDERS = {
    "posterior_train": lambda run: posterior_arrays(run, "train"),
    "posterior_valid": lambda run: posterior_arrays(run, "valid"),
    "posterior_test": lambda run: posterior_arrays(run, "test"),
    "reconstructions": _images_only(reconstruction_arrays),
    "samples": _images_only(sample_arrays),
    "traversals": _images_only(traversal_arrays),
    "interpolations": _images_only(interpolation_arrays),
    "lattice": _images_only(lattice_arrays),
    **MOLECULE_BUILDERS,  # token runs; other runs get a file saying why the molecule figures do not apply
}
