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
from vaelab.rundir.layout import SweepLayout
from vaelab.sweeps.figure import varied_keys, write_sweep_figure
from vaelab.sweeps.evaluate import evaluate_options, evaluate_trial, read_diagnostics, result_columns
from vaelab.sweeps.local import run_local
from vaelab.sweeps.pool import run_pool
from vaelab.sweeps.results import row, state_of, trial_dir, write_results
from vaelab.sweeps.spec import Trial, expand


def run_sweep(sweep: dict, out, workers: int | None = None) -> list[dict]:
    """Expand ``sweep`` (see :mod:`vaelab.sweeps.spec`), run what is not finished, and return the results rows."""
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
    try:
        errors = run_local(jobs, workers)
        extra = evaluate_trials(trials, out, options, errors, workers) if options else {}
    finally:  # interrupted too: results.csv says which trials finished and which were interrupted
        rows = [{**row(t, trial_dir(out, t), errors.get(t.name)), **extra.get(t.name, {})} for t in trials]
        write_results(SweepLayout(out).results, rows)
    write_sweep_figure(rows, varied_keys(trials), out)
    return rows


def evaluate_trials(trials: list[Trial], out: Path, options: dict, errors: dict, workers: int | None) -> dict:
    """Evaluate the finished trials whose diagnostics do not answer ``options``: trial name -> its columns.

    A trial whose evaluation fails keeps its training status; its row gets the line in ``error``.
    """
    finished = [t for t in trials if errors.get(t.name) is None and state_of(trial_dir(out, t)) == "finished"]
    todo = {t.name: (str(trial_dir(out, t)), options) for t in finished
            if read_diagnostics(trial_dir(out, t), options) is None}
    failed = {name: error for name, error in run_pool(evaluate_trial, todo, workers).items() if error}
    columns = {name: {"error": error} for name, error in failed.items()}
    for t in finished:
        found = read_diagnostics(trial_dir(out, t), options)
        if found is not None:
            columns[t.name] = result_columns(found, options["split"])
    return columns
