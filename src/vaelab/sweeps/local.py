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


def threads_per_trial(workers: int, cores: int | None = None) -> int:
    """Torch threads each of ``workers`` concurrent trials gets on ``cores`` cores (at least 1)."""
    return max(1, (cores or os.cpu_count() or 1) // max(1, workers))


def train_trial(config: dict, run_dir: str, resume: bool, threads: int) -> str | None:
    """Train one trial (in a worker process); its error as one line, or None when it finished."""
    import torch

    from vaelab.config import make_config
    from vaelab.errors import VaelabError
    from vaelab.progress import quiet
    from vaelab.training.session import train_run

    torch.set_num_threads(threads)
    try:
        cfg = make_config(config)
        cfg.train.progress = False  # trials run side by side: their epoch lines would interleave
        with quiet():
            train_run(cfg, out=Path(run_dir), resume=resume)
    except VaelabError as err:
        return str(err)
    except Exception as err:  # noqa: BLE001 - a bug in one trial must not stop the sweep; its line is kept
        return f"internal error ({type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''})"
    return None


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
