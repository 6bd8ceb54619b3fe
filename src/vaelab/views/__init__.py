"""Figure data: what each figure shows, decoded from a run's model and saved as ``RUN_DIR/arrays/<name>.npz``."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from vaelab.views.arrays import BUILDERS, decode_mean, posterior_arrays, prior_side, sampled_codes
from vaelab.views.molecules import decode_molecules
from vaelab.views.paths import lerp, random_rays, slerp

__all__ = ["BUILDERS", "decode_mean", "decode_molecules", "ensure_arrays", "lerp", "posterior_arrays", "prior_side",
           "random_rays", "sampled_codes", "save_arrays", "slerp"]


def save_arrays(path, arrays: dict) -> Path:
    """Write a dict of arrays as one .npz, atomically (a kill leaves the old file or none)."""
    from vaelab.runs.io import atomic_write_bytes

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    atomic_write_bytes(path, buf.getvalue())
    return Path(path)


def ensure_arrays(run, names, recompute: bool = False, options: dict | None = None) -> dict[str, Path]:
    """Build and save the arrays ``names`` (keys of BUILDERS) that are missing, or all with ``recompute``.

    ``options`` maps a name to keyword arguments for its builder (e.g.
    ``{"traversals": {"base": "data"}}``); passing options for a name rebuilds it.
    """
    options = options or {}
    out = {}
    for name in names:
        if name not in BUILDERS:
            raise ValueError(f"unknown figure data '{name}'; known: {', '.join(BUILDERS)}")
        path = run.path / "arrays" / f"{name}.npz"
        if recompute or name in options or not path.is_file():
            save_arrays(path, BUILDERS[name](run, **options.get(name, {})))
        out[name] = path
    return out
