"""Run a sweep into ``SWEEP_DIR``: ``sweep.yaml`` (resolved), ``runs/<trial>/``, ``results.csv`` and ``sweep.png``.

Running the same sweep again skips finished trials and resumes the others from their
last checkpoint; a failed trial is recorded with its error. With ``evaluate:`` every
finished trial is evaluated (once per checkpoint and settings) and its diagnostics
become columns of ``results.csv``.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from vaelab.fileio import atomic_write_text
from vaelab.progress import say
from vaelab.rundir.layout import SweepLayout
from vaelab.sweeps.figure import varied_keys, write_sweep_figure
from vaelab.sweeps.evaluate import evaluate_options, evaluate_trial, read_diagnostics, result_columns
from vaelab.sweeps.local import run_local
from vaelab.sweeps.pool import run_pool
from vaelab.sweeps.results import row, state_of, trial_dir, write_results
from vaelab.sweeps.spec import Trial, expand


def run_sweep(sweep: dict, out, workers: int | None = None, progress: bool = True) -> list[dict]:
    """Expand ``sweep`` (see :mod:`vaelab.sweeps.spec`), run what is not finished, and return the results rows.

    With ``progress``, one line on stderr as the sweep starts and as each trial ends.
    """
    out = Path(out)
    trials = expand(sweep)  # every config validated before anything starts
    options = evaluate_options(sweep.get("evaluate"))
    out.mkdir(parents=True, exist_ok=True)
    resolved = {**sweep, "trials": [{"name": t.name, "varied": t.varied} for t in trials]}
    atomic_write_text(SweepLayout(out).spec, yaml.safe_dump(resolved, sort_keys=False))
    jobs = [(t, trial_dir(out, t), state_of(trial_dir(out, t)) == "resume") for t in trials
            if state_of(trial_dir(out, t)) != "finished"]
    errors: dict = {}
    extra: dict = {}
    say(f"sweep: {len(trials)} trials, {len(trials) - len(jobs)} already finished, "
        f"{sum(resume for _, _, resume in jobs)} to resume, into {out}", progress)
    try:
        errors = run_local(jobs, workers, _reporter("trained", len(jobs), progress))
        extra = evaluate_trials(trials, out, options, errors, workers, progress) if options else {}
    finally:  # interrupted too: results.csv says which trials finished and which were interrupted
        rows = [{**row(t, trial_dir(out, t), errors.get(t.name)), **extra.get(t.name, {})} for t in trials]
        write_results(SweepLayout(out).results, rows)
    write_sweep_figure(rows, varied_keys(trials), out)
    return rows


def _reporter(what: str, total: int, enabled: bool):
    """``on_done(name, error)`` printing ``sweep: <name> trained (2/8)`` or the trial's error line."""
    done = [0]

    def on_done(name: str, error) -> None:
        done[0] += 1
        say(f"sweep: {name} {'failed: ' + error if error else what} ({done[0]}/{total})", enabled)

    return on_done


def evaluate_trials(trials: list[Trial], out: Path, options: dict, errors: dict, workers: int | None,
                    progress: bool = True) -> dict:
    """Evaluate the finished trials whose diagnostics do not answer ``options``: trial name -> its columns.

    A trial whose evaluation fails keeps its training status; its row gets the line in ``error``.
    """
    finished = [t for t in trials if errors.get(t.name) is None and state_of(trial_dir(out, t)) == "finished"]
    todo = {t.name: (str(trial_dir(out, t)), options) for t in finished
            if read_diagnostics(trial_dir(out, t), options) is None}
    evaluated = run_pool(evaluate_trial, todo, workers, _reporter("evaluated", len(todo), progress))
    failed = {name: error for name, error in evaluated.items() if error}
    columns = {name: {"error": error} for name, error in failed.items()}
    for t in finished:
        found = read_diagnostics(trial_dir(out, t), options)
        if found is not None:
            columns[t.name] = result_columns(found, options["split"])
    return columns
