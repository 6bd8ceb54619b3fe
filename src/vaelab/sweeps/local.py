"""The ``local`` executor: a sweep's trials in a pool of processes on this machine.

The pool never oversubscribes the cores: with ``W`` workers on ``C`` cores each trial
gets ``max(1, C // W)`` torch threads, and ``W`` defaults to ``min(trials, C)``.
A trial that fails is recorded with its one-line error and never stops the others.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

from vaelab.sweeps.spec import Trial
from vaelab.sweeps.trial import train_trial


def threads_per_trial(workers: int, cores: int | None = None) -> int:
    """Torch threads each of ``workers`` concurrent trials gets on ``cores`` cores (at least 1)."""
    return max(1, (cores or os.cpu_count() or 1) // max(1, workers))


def run_local(jobs: list[tuple[Trial, Path, bool]], workers: int | None = None) -> dict[str, str | None]:
    """Run ``(trial, run_dir, resume)`` jobs in a spawn-context process pool: trial name -> error or None."""
    if not jobs:
        return {}
    cores = os.cpu_count() or 1
    workers = max(1, min(workers or cores, len(jobs)))
    threads = threads_per_trial(workers, cores)
    errors: dict[str, str | None] = {}
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(train_trial, t.config.model_dump(mode="json"), str(d), resume, threads): t.name
                   for t, d, resume in jobs}
        for future in as_completed(futures):
            errors[futures[future]] = future.result()
    return errors
