"""Run a sweep into ``SWEEP_DIR``: ``sweep.yaml`` (resolved), ``runs/<trial>/``, ``results.csv`` and ``sweep.png``.

Running the same sweep again skips finished trials and resumes the others from their
last checkpoint; a failed trial is recorded with its error. The executor (``local`` or
``ray``) only decides where the trials train: the layout and the rows are the same. With
``evaluate:`` every finished trial is evaluated (once per checkpoint and settings) and its
diagnostics become columns of ``results.csv``.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from vaelab.fileio import atomic_write_text
from vaelab.progress import say
from vaelab.rundir.layout import SweepLayout
from vaelab.tracking.sweep import mlflow_sweep_parent
from vaelab.sweeps.evaluate import evaluate_options, evaluate_trial, read_diagnostics, result_columns
from vaelab.sweeps.figure import varied_keys, write_sweep_figure
from vaelab.sweeps.pool import run_pool
from vaelab.sweeps.results import row, state_of, trial_dir, write_results
from vaelab.sweeps.spec import Plan, plan_sweep


def run_sweep(sweep: dict, out, workers: int | None = None, executor: str | None = None,
              ray_address: str | None = None, progress: bool = True) -> list[dict]:
    """Check ``sweep`` (see :mod:`vaelab.sweeps.spec`), run what is not finished, and return the results rows.

    With ``progress``, one line on stderr as the sweep starts and as each trial ends (local executor).
    """
    out = Path(out)
    plan = plan_sweep(sweep, executor, ray_address, workers)  # every config validated before anything starts
    options = evaluate_options(sweep.get("evaluate"))
    if plan.executor == "ray":
        from vaelab.sweeps.tune import import_tune

        import_tune()  # Ray Tune missing: how to install it, before anything is written
    out.mkdir(parents=True, exist_ok=True)
    resolved = {**sweep, "executor": plan.executor}
    if plan.trials is not None:
        resolved["trials"] = [{"name": t.name, "varied": t.varied} for t in plan.trials]
    atomic_write_text(SweepLayout(out).spec, yaml.safe_dump(resolved, sort_keys=False))
    with mlflow_sweep_parent(out, out.resolve().name, _loggers(plan, sweep)):  # trials: children of one MLflow run
        rows = execute(plan, sweep, out, workers, progress)
    if options:
        rows = evaluate_rows(rows, out, options, workers, progress)
        write_results(SweepLayout(out).results, rows)
    varied = varied_keys(plan.trials) if plan.trials is not None else list(sweep.get("search") or {})
    write_sweep_figure(rows, varied, out)
    return rows


def _loggers(plan: Plan, sweep: dict) -> set[str]:
    """The trackers any trial logs to (``train.loggers``): with ``mlflow`` among them the sweep gets a parent run."""
    if plan.trials is not None:
        return {name for t in plan.trials for name in t.config.train.loggers}
    base = sweep.get("base") or {}
    return set(((base.get("train") or {}).get("loggers") or []) if isinstance(base, dict) else [])


def execute(plan: Plan, sweep: dict, out: Path, workers: int | None = None, progress: bool = True) -> list[dict]:
    """Train the plan's unfinished trials with its executor: one results row per trial, in the sweep's order.

    results.csv is written before this returns, also when the sweep is interrupted (Ctrl-C, SIGTERM).
    """
    if plan.executor == "ray":
        from vaelab.sweeps.tune import run_tune

        rows = run_tune(plan, sweep, out)
        write_results(SweepLayout(out).results, rows)
        return rows
    from vaelab.sweeps.local import run_local, run_vectorized

    jobs = [(t, trial_dir(out, t), state_of(trial_dir(out, t)) == "resume") for t in plan.trials
            if state_of(trial_dir(out, t)) != "finished"]
    say(f"sweep: {len(plan.trials)} trials, {len(plan.trials) - len(jobs)} already finished, "
        f"{sum(resume for _, _, resume in jobs)} to resume, into {out}", progress)
    errors: dict = {}
    try:
        run = run_vectorized if plan.executor == "vectorized" else run_local
        errors = run(jobs, workers, _reporter("trained", len(jobs), progress))
    finally:  # interrupted too: results.csv says which trials finished and which were interrupted
        rows = [row(t, trial_dir(out, t), errors.get(t.name)) for t in plan.trials]
        write_results(SweepLayout(out).results, rows)
    return rows


def _reporter(what: str, total: int, enabled: bool):
    """``on_done(name, error)`` printing ``sweep: <name> trained (2/8)`` or the trial's error line."""
    done = [0]

    def on_done(name: str, error) -> None:
        done[0] += 1
        say(f"sweep: {name} {'failed: ' + error if error else what} ({done[0]}/{total})", enabled)

    return on_done


def evaluate_rows(rows: list[dict], out: Path, options: dict, workers: int | None, progress: bool = True) -> list[dict]:
    """The rows with the diagnostics of every finished trial as columns, evaluating those whose diagnostics do not
    answer ``options``. A trial whose evaluation fails keeps its training status; its row gets the line in ``error``.
    """
    layout = SweepLayout(out)
    finished = [r["trial"] for r in rows if not r.get("error") and state_of(layout.run(r["trial"])) == "finished"
                and not str(r.get("status", "")).startswith("stopped")]
    todo = {name: (str(layout.run(name)), options) for name in finished
            if read_diagnostics(layout.run(name), options) is None}
    evaluated = run_pool(evaluate_trial, todo, workers, _reporter("evaluated", len(todo), progress))
    extra = {name: {"error": error} for name, error in evaluated.items() if error}
    for name in finished:
        found = read_diagnostics(layout.run(name), options)
        if found is not None:
            extra[name] = result_columns(found, options["split"])
    return [{**r, **extra.get(r["trial"], {})} for r in rows]
