"""One trial of a sweep, trained quietly: what every executor runs in its worker.

The local executor calls :func:`train_trial` in a pool process, the ray executor inside a
Ray Tune trainable (with a callback that reports each epoch to Tune). Either way a trial
that fails gives one line, never a traceback, and never stops the other trials.
"""

from __future__ import annotations

from pathlib import Path


def train_trial(config: dict, run_dir: str, resume: bool, threads: int | None = None, callbacks=()) -> str | None:
    """Train one trial (with ``threads`` torch threads, when given); its error as one line, or None when it finished.

    ``config`` is the trial's config as a plain mapping (it crosses a process boundary),
    ``callbacks`` go to the trainer (:mod:`vaelab.training.callbacks`). Only ordinary
    exceptions are turned into a line: a stop request (SystemExit, KeyboardInterrupt)
    passes through, as the executor that sent it expects.
    """

    from vaelab.config import make_config
    from vaelab.errors import VaelabError
    from vaelab.progress import quiet
    from vaelab.threads import fix_threads
    from vaelab.training.session import train_run

    if threads is not None:
        fix_threads(threads)  # this worker's share of the cores, kept by the thread policy
    try:
        cfg = make_config(config)
        cfg.train.progress = False  # trials run side by side: their epoch lines would interleave
        with quiet():
            train_run(cfg, out=Path(run_dir), resume=resume, callbacks=callbacks)
    except VaelabError as err:
        return str(err)
    except Exception as err:  # noqa: BLE001 - a bug in one trial must not stop the sweep; its line is kept
        return internal_error(err)
    return None


def train_group_trials(configs: list[dict], run_dirs: list[str], resume: list[bool], names: list[str],
                       threads: int | None = None) -> dict[str, str | None]:
    """Train trials that differ only in vectorisable keys as one ensemble: trial name -> error line or None.

    A failure of the whole group (e.g. a model torch.func.vmap cannot batch) is every member's line.
    """

    from vaelab.config import make_config
    from vaelab.errors import VaelabError
    from vaelab.progress import quiet
    from vaelab.threads import fix_threads
    from vaelab.training.group import train_group

    if threads is not None:
        fix_threads(threads)  # this worker's share of the cores, kept by the thread policy
    try:
        cfgs = [make_config(c) for c in configs]
        for cfg in cfgs:
            cfg.train.progress = False
        with quiet():
            return train_group(cfgs, [Path(d) for d in run_dirs], resume, names)
    except VaelabError as err:
        return {name: str(err) for name in names}
    except Exception as err:  # noqa: BLE001 - one group's bug must not stop the sweep
        return {name: internal_error(err) for name in names}


def internal_error(err: BaseException) -> str:
    """An unexpected exception as the one line a results row keeps."""
    first = str(err).splitlines()[0][:200] if str(err) else ""
    return f"internal error ({type(err).__name__}: {first})"
