"""Figure data: what each figure shows, decoded from a run's model and saved as ``RUN_DIR/arrays/<name>.npz``."""

from __future__ import annotations

from pathlib import Path

from vaelab.fileio import save_npz
from vaelab.views.arrays import BUILDERS
from vaelab.views.codes import posterior_arrays, prior_side, sampled_codes, sampler_label
from vaelab.views.molecules import decode_molecules
from vaelab.views.paths import lerp, random_rays, slerp

__all__ = ["BUILDERS", "decode_molecules", "ensure_arrays", "lerp", "posterior_arrays", "prior_side",
           "random_rays", "sampled_codes", "sampler_label", "slerp"]


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
        path = run.layout.arrays(name)
        if recompute or name in options or not path.is_file():
            save_npz(path, BUILDERS[name](run, **options.get(name, {})))
        out[name] = path
    return out
