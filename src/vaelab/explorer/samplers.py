"""Samplers for the Samples panel, without writing the run directory.

``vaelab sample`` fits an ex-post density once and saves it in ``RUN_DIR/samplers/``;
``vaelab explore`` only reads runs. So a saved fit is loaded when its checkpoint matches
(:func:`vaelab.sampling.fitted_sampler` with a record present reads and never writes), and
otherwise the sampler is fitted here, in memory, to at most :data:`FIT_CODES` training
codes, and forgotten when the server stops. ``two-stage`` (a second VAE, minutes to train)
is offered only when a fit of it is saved.
"""

from __future__ import annotations

import numpy as np

from vaelab.sampling import SamplerMismatch, fitted_sampler, resolve_options, sampler_class
from vaelab.sampling.catalogue import CATALOGUE
from vaelab.sampling.store import read_record

FIT_CODES = 5000  # training codes an in-memory fit uses (a random subset beyond that)
IN_MEMORY = ("gaussian", "gmm")  # the ex-post densities quick enough to fit when the page asks


def available(run) -> list[str]:
    """The samplers the page offers for ``run``: the prior (models that have one), gaussian, gmm, and any other
    whose fit is saved in the run."""
    names = ["prior"] if getattr(run.model, "has_prior", True) else []
    return names + [n for n in CATALOGUE if n != "prior" and (n in IN_MEMORY or read_record(run, n) is not None)]


def explore_sampler(run, name: str, seed: int = 0):
    """The sampler ``name`` for ``run``: the saved fit when it matches the loaded checkpoint, else fitted in memory
    (never saved). ``name`` must be one of :func:`available`."""
    if name == "prior" or read_record(run, name) is not None:
        try:
            return fitted_sampler(run, name, progress=False)  # the prior, or a saved fit: read, never written
        except SamplerMismatch:
            if name not in IN_MEMORY:
                raise
    cls = sampler_class(name)
    n = len(run.data.split("train"))
    rows = np.sort(np.random.default_rng(seed).choice(n, FIT_CODES, replace=False)) if n > FIT_CODES else None
    codes = run.encode_posterior("train", rows)[0].cpu().numpy().astype(np.float64)  # (N, d)
    sampler = cls.fit(codes, resolve_options(cls, None), None, run.device, progress=False)
    sampler.info = {"sampler": name, "options": sampler.options, "n_codes": int(codes.shape[0]), "saved": False}
    return sampler


def sampler_note(sampler) -> str:
    """Where a sampler's fit comes from, for the page: saved in the run, fitted in memory, or none needed."""
    info = sampler.info or {}
    if not sampler.needs_fit:
        return "no fit needed"
    if info.get("saved") is False:
        return f"fitted in memory to {info.get('n_codes')} training codes, not saved"
    return f"saved in the run, fitted to {info.get('n_codes')} training codes"
