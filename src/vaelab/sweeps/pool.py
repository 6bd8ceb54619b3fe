"""A spawn-context process pool whose workers never oversubscribe the cores, and stop cleanly.

With ``W`` workers on ``C`` cores each task gets ``max(1, C // W)`` torch threads, and
``W`` defaults to ``min(tasks, C)``: two heavy jobs on one core slow each other down
2-4x, so more workers than cores only lose time.

Ctrl-C or SIGTERM to the sweep stops it without losing work: tasks not yet started are
cancelled, running ones get SIGTERM (a training run then writes ``summary.json`` with
status ``interrupted`` and keeps its finished checkpoints), and the pool waits for them.
"""

from __future__ import annotations

import os
import signal
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any, Callable

from vaelab.errors import Terminated, VaelabError

#: why a pool breaks, nearly always: a script without the main guard, or a worker killed (out of memory)
BROKEN = ("the sweep's worker processes stopped abruptly. A script that calls vaelab.sweep must guard it with "
          "`if __name__ == \"__main__\":` (each worker imports the script again); otherwise a trial was killed, "
          "e.g. out of memory: use fewer --workers")
#: seconds the running tasks get to save and stop after an interrupt before they are killed
STOP_GRACE_S = 60


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, e.g. under ``taskset``), else all of them."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # no affinity on macOS and Windows
        return os.cpu_count() or 1


def threads_per_trial(workers: int, cores: int | None = None) -> int:
    """Torch threads each of ``workers`` concurrent tasks gets on ``cores`` cores (default: usable_cores, at least 1)."""
    return max(1, (cores or usable_cores()) // max(1, workers))


_stopping = False  # in a worker: a SIGTERM came, so no further task may start


def _on_sigterm(signum, frame):
    global _stopping
    _stopping = True
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: a second signal must not cut the saving short
    raise Terminated()


def _run_task(fn: Callable, *args):
    """``fn(*args)`` in a worker, unless the worker was told to stop.

    The executor hands a worker its next task before the current one ends, so cancelling the
    futures does not reach that one; without this check a stopped worker would start it, with
    SIGTERM now ignored, and run until the grace period kills it mid-epoch.
    """
    if _stopping:
        raise Terminated()
    return fn(*args)


def _worker_init(threads: int) -> None:
    """In each worker: its share of the cores; SIGTERM handled like Ctrl-C (save, then stop); SIGINT ignored.

    A Ctrl-C on a terminal reaches every process of the group: the sweep alone handles it, and
    stops its workers with one SIGTERM each, so a worker never gets two interrupts at once.
    """
    from vaelab.threads import fix_threads

    fix_threads(threads)  # the training's thread policy keeps the share
    signal.signal(signal.SIGTERM, _on_sigterm)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_pool(fn: Callable, jobs: dict[str, tuple], workers: int | None = None,
             on_done: Callable[[str, Any], None] | None = None) -> dict[str, Any]:
    """``fn(*args)`` for every ``name -> args`` of ``jobs`` in the pool: name -> what ``fn`` returned.

    ``on_done(name, result)`` is called in this process as each task ends (progress lines).

    ``fn`` must be importable by name (a module-level function): workers are spawned, not forked,
    so that no thread pool or lock of this process is copied into them. Even one worker is a
    separate process: a task that crashes or runs out of memory takes only itself down.
    An interrupt (KeyboardInterrupt, or :class:`~vaelab.errors.Terminated` on SIGTERM) stops
    the workers as the module docstring says, then propagates.
    """
    if not jobs:
        return {}
    cores = usable_cores()
    workers = max(1, min(workers or cores, len(jobs)))
    results: dict[str, Any] = {}
    pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_worker_init,
                               initargs=(threads_per_trial(workers, cores),))
    try:
        futures = {pool.submit(_run_task, fn, *args): name for name, args in jobs.items()}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            if on_done is not None:
                on_done(futures[future], results[futures[future]])
    except BrokenProcessPool:
        pool.shutdown(wait=True)
        raise VaelabError(BROKEN) from None
    except KeyboardInterrupt:
        _stop(pool)
        raise
    pool.shutdown(wait=True)
    return results


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started, SIGTERM the running workers, wait for them (then kill what is left)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # the executor has no public list
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()  # SIGTERM: the worker's handler raises Terminated, the run saves its summary
    for process in processes:
        process.join(STOP_GRACE_S)
        if process.is_alive():
            process.kill()
