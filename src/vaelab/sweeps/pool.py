"""A spawn-context process pool whose workers never oversubscribe the cores.

With ``W`` workers on ``C`` cores each task gets ``max(1, C // W)`` torch threads, and
``W`` defaults to ``min(tasks, C)``: two heavy jobs on one core slow each other down
2-4x, so more workers than cores only lose time.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any, Callable

from vaelab.errors import VaelabError

#: why a pool breaks at its start, nearly always: a script without the main guard
BROKEN = ("the sweep's worker processes stopped abruptly. A script that calls vaelab.sweep must guard it with "
          "`if __name__ == \"__main__\":` (each worker imports the script again); otherwise a trial ran out of "
          "memory: use fewer --workers")


def threads_per_trial(workers: int, cores: int | None = None) -> int:
    """Torch threads each of ``workers`` concurrent tasks gets on ``cores`` cores (at least 1)."""
    return max(1, (cores or os.cpu_count() or 1) // max(1, workers))


def _with_threads(fn: Callable, threads: int, args: tuple):
    import torch

    torch.set_num_threads(threads)
    return fn(*args)


def run_pool(fn: Callable, jobs: dict[str, tuple], workers: int | None = None) -> dict[str, Any]:
    """``fn(*args)`` for every ``name -> args`` of ``jobs`` in the pool: name -> what ``fn`` returned.

    ``fn`` must be importable by name (a module-level function): workers are spawned, not forked,
    so that no thread pool or lock of this process is copied into them. Even one worker is a
    separate process: a task that crashes or runs out of memory takes only itself down.
    """
    if not jobs:
        return {}
    cores = os.cpu_count() or 1
    workers = max(1, min(workers or cores, len(jobs)))
    threads = threads_per_trial(workers, cores)
    results: dict[str, Any] = {}
    try:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = {pool.submit(_with_threads, fn, threads, args): name for name, args in jobs.items()}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
    except BrokenProcessPool:
        raise VaelabError(BROKEN) from None
    return results
