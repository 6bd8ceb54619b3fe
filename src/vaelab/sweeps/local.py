"""The ``local`` executor: a sweep's trials in a pool of processes on this machine.

The pool never oversubscribes the cores (:func:`vaelab.sweeps.pool.threads_per_trial`).
A trial that fails is recorded with its one-line error and never stops the others.
"""

from __future__ import annotations

from pathlib import Path

from vaelab.sweeps.pool import run_pool
from vaelab.sweeps.spec import Trial


def train_trial(config: dict, run_dir: str, resume: bool) -> str | None:
    """Train one trial (in a worker process); its error as one line, or None when it finished."""
    from vaelab.config import make_config
    from vaelab.errors import VaelabError
    from vaelab.progress import quiet
    from vaelab.training.session import train_run

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


def run_local(jobs: list[tuple[Trial, Path, bool]], workers: int | None = None,
              on_done=None) -> dict[str, str | None]:
    """Run ``(trial, run_dir, resume)`` jobs in the process pool (:mod:`vaelab.sweeps.pool`): trial name -> error or None.

    ``on_done(name, error)`` is called as each trial ends.
    """
    return run_pool(train_trial, {t.name: (t.config.model_dump(mode="json"), str(d), resume) for t, d, resume in jobs},
                    workers, on_done)
