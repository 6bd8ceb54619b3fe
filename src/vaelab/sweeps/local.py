"""The ``local`` executor: a sweep's trials in a pool of processes on this machine.

The pool never oversubscribes the cores (:func:`vaelab.sweeps.pool.threads_per_trial`).
A trial that fails is recorded with its one-line error and never stops the others.
"""

from __future__ import annotations

from pathlib import Path

from vaelab.sweeps.pool import run_pool
from vaelab.sweeps.spec import Trial
from vaelab.sweeps.trial import train_group_trials, train_trial


def run_local(jobs: list[tuple[Trial, Path, bool]], workers: int | None = None,
              on_done=None) -> dict[str, str | None]:
    """Run ``(trial, run_dir, resume)`` jobs in the process pool (:mod:`vaelab.sweeps.pool`): trial name -> error or None.

    ``on_done(name, error)`` is called as each trial ends. The pool sets each worker's threads.
    """
    return run_pool(train_trial, {t.name: (t.config.model_dump(mode="json"), str(d), resume) for t, d, resume in jobs},
                    workers, on_done)


def vector_groups(jobs: list[tuple[Trial, Path, bool]]) -> tuple[list[list], list]:
    """(groups of 2+ jobs that can train as one ensemble, the other jobs): grouped by
    :func:`vaelab.training.group.group_key`, in the sweep's order; a trial whose model cannot be
    stacked (:func:`~vaelab.training.group.not_vectorisable`) stays alone."""
    from vaelab.training.group import group_key, not_vectorisable

    groups: dict[str, list] = {}
    alone = []
    for job in jobs:
        if not_vectorisable(job[0].config):
            alone.append(job)
        else:
            groups.setdefault(group_key(job[0].config), []).append(job)
    stacked = [g for g in groups.values() if len(g) > 1]
    alone += [g[0] for g in groups.values() if len(g) == 1]
    return stacked, alone


def run_vectorized(jobs: list[tuple[Trial, Path, bool]], workers: int | None = None,
                   on_done=None) -> dict[str, str | None]:
    """The ``vectorized`` executor: groups of trials as ensembles (issue #17), the rest as ``local`` does.

    Groups and lone trials share one process pool; ``on_done(name, error)`` is called per trial.
    """
    stacked, alone = vector_groups(jobs)
    tasks = {f"group-{i}": (train_group_trials, ([t.config.model_dump(mode="json") for t, _, _ in g],
                                                 [str(d) for _, d, _ in g], [r for _, _, r in g],
                                                 [t.name for t, _, _ in g]))
             for i, g in enumerate(stacked)}
    tasks.update({t.name: (train_trial, (t.config.model_dump(mode="json"), str(d), resume)) for t, d, resume in alone})
    errors: dict[str, str | None] = {}

    def done(task: str, result) -> None:
        for name, error in (result.items() if task in {f"group-{i}" for i in range(len(stacked))}
                            else [(task, result)]):
            errors[name] = error
            if on_done is not None:
                on_done(name, error)

    run_pool(_dispatch, {name: (fn, args) for name, (fn, args) in tasks.items()}, workers, done)
    return errors


def _dispatch(fn, args: tuple):
    """Run one pool task: a group or a lone trial (module level, so spawned workers can import it)."""
    return fn(*args)
