"""The ``local`` executor: a sweep's trials in a pool of processes on this machine.

The pool never oversubscribes the cores (:func:`vaelab.sweeps.pool.threads_per_trial`).
A trial that fails is recorded with its one-line error and never stops the others.
"""

from __future__ import annotations

from pathlib import Path

from vaelab.sweeps.pool import run_pool
from vaelab.sweeps.spec import Trial
from vaelab.sweeps.trial import train_trial


def run_local(jobs: list[tuple[Trial, Path, bool]], workers: int | None = None,
              on_done=None) -> dict[str, str | None]:
    """Run ``(trial, run_dir, resume)`` jobs in the process pool (:mod:`vaelab.sweeps.pool`): trial name -> error or None.

    ``on_done(name, error)`` is called as each trial ends. The pool sets each worker's threads.
    """
    return run_pool(train_trial, {t.name: (t.config.model_dump(mode="json"), str(d), resume) for t, d, resume in jobs},
                    workers, on_done)
