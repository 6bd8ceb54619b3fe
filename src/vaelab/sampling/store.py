"""Fitted samplers on disk: ``RUN_DIR/samplers/<name>/{sampler.json, params.safetensors}``.

Stored through the run's fit store (:mod:`vaelab.rundir.fits`): ``sampler.json``
records what the sampler was fitted to (options, checkpoint, number and size of the
codes, fit time) and is written last; ``params.safetensors`` holds its arrays. A saved
sampler is reused only when it was fitted with the same options on the same
checkpoint; anything else asks for an explicit refit.
"""

from __future__ import annotations

import time

import numpy as np

from vaelab.rundir import FitFolder, FitMismatch, checkpoint_stamp, load_run
from vaelab.rundir.fits import fit_time_fields
from vaelab.sampling.base import Sampler, resolve_options, sampler_class

RECORD = "sampler.json"
PARAMS = "params.safetensors"
REFIT = "pass --refit (API: refit=True) to fit it again"


class SamplerMismatch(FitMismatch):
    """A saved sampler was fitted with other options or on another checkpoint than the one asked for."""


def sampler_folder(run, name: str) -> FitFolder:
    """The fit-store folder of the sampler ``name`` in ``run``."""
    return FitFolder(run.layout.sampler(name), RECORD, f"sampler '{name}'", REFIT)


def read_record(run, name: str) -> dict | None:
    """The saved fit record of sampler ``name`` (None when there is none)."""
    return sampler_folder(run, name).read_record()


def _check(store: FitFolder, record: dict, options: dict, run) -> None:
    try:
        store.check(record, options, run)
    except FitMismatch as err:
        raise SamplerMismatch(str(err)) from None


def _fit_and_save(cls: type[Sampler], run, options: dict, store: FitFolder, progress: bool) -> Sampler:
    store.begin()  # an old fit (refit) or an interrupted one, with its nested files
    t0 = time.perf_counter()
    codes = run.encode_means("train").cpu().numpy().astype(np.float64)  # (N, d)
    t1 = time.perf_counter()
    sampler = cls.fit(codes, options, store.folder, run.device, progress=progress)
    t2 = time.perf_counter()
    store.save_arrays(PARAMS, sampler.state())
    record = store.finish({
        "sampler": cls.name, "description": cls.description, "source": cls.source, "options": options,
        **checkpoint_stamp(run), "split": "train", "n_codes": int(codes.shape[0]), "code_dim": int(codes.shape[1]),
        "encode_time_s": round(t1 - t0, 4), "fit_time_s": round(t2 - t1, 4), **fit_time_fields(),
        "summary": sampler.summary()})
    sampler.info, sampler.fitted_now = record, True
    return sampler


def fitted_sampler(run, name: str, options: dict | None = None, refit: bool = False,
                   progress: bool = True) -> Sampler:
    """The sampler ``name`` for ``run`` (a Run or a run directory), fitted once and then reused from disk.

    A saved sampler in ``RUN_DIR/samplers/<name>/`` is loaded when it was fitted on the
    run's checkpoint and with the same ``options``; ``options=None`` accepts the saved
    fit's options, whatever they were (so ``vaelab evaluate`` uses the fit ``vaelab
    sample --option ...`` made). If the checkpoint or explicit options differ,
    :class:`SamplerMismatch` asks for ``refit=True``. Without a saved one, the sampler
    is fitted to the training codes (with the defaults when ``options`` is None) and saved. ``prior`` needs
    no fit. ``progress`` lets a long fit (``two-stage``) say what it is doing.

    >>> fitted_sampler(run, "gmm").sample(64, seed=0).shape   # doctest: +SKIP
    torch.Size([64, 16])
    """
    run = load_run(run)
    cls = sampler_class(name)
    asked = options
    options = resolve_options(cls, options)
    if not cls.needs_fit:
        sampler = cls.for_run(run, options)
        sampler.info, sampler.fitted_now = {"sampler": name, "options": options, **checkpoint_stamp(run)}, False
        return sampler
    store = sampler_folder(run, name)
    record = None if refit else store.read_record()
    if record is None:
        return _fit_and_save(cls, run, options, store, progress)
    if asked is None:  # no options asked for: the saved fit's own
        options = resolve_options(cls, record["options"])
    _check(store, record, options, run)
    sampler = cls.from_state(store.load_arrays(PARAMS, "np"), options, store.folder, run.device)
    sampler.info, sampler.fitted_now = record, False
    return sampler


def sample_codes(run, sampler: str = "prior", n: int = 64, seed: int | None = 0, options: dict | None = None,
                 refit: bool = False, progress: bool = True):
    """n codes (n, d) from ``sampler``: ``fitted_sampler(run, sampler, options, refit, progress).sample(n, seed)``."""
    return fitted_sampler(run, sampler, options=options, refit=refit, progress=progress).sample(n, seed=seed)
