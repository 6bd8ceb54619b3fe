"""Run a sweep into ``SWEEP_DIR``: ``sweep.yaml`` (resolved), ``runs/<trial>/`` and ``results.csv``.

Running the same sweep again skips finished trials and resumes the others from their
last checkpoint; a failed trial is recorded with its error. The executor (``local`` or
``ray``) only decides where the trials train: the layout and the rows are the same.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from vaelab.fileio import atomic_write_text
from vaelab.sweeps.results import row, state_of, trial_dir, write_results
from vaelab.sweeps.spec import Plan, plan_sweep


def run_sweep(sweep: dict, out, workers: int | None = None, executor: str | None = None,
              ray_address: str | None = None) -> list[dict]:
    """Check ``sweep`` (see :mod:`vaelab.sweeps.spec`), run what is not finished, and return the results rows."""
    out = Path(out)
    plan = plan_sweep(sweep, executor, ray_address, workers)  # every config validated before anything starts
    if plan.executor == "ray":
        from vaelab.sweeps.tune import import_tune

        import_tune()  # Ray Tune missing: how to install it, before anything is written
    out.mkdir(parents=True, exist_ok=True)
    resolved = {**sweep, "executor": plan.executor}
    if plan.trials is not None:
        resolved["trials"] = [{"name": t.name, "varied": t.varied} for t in plan.trials]
    atomic_write_text(out / "sweep.yaml", yaml.safe_dump(resolved, sort_keys=False))
    rows = execute(plan, sweep, out, workers)
    write_results(out / "results.csv", rows)
    return rows


def execute(plan: Plan, sweep: dict, out: Path, workers: int | None = None) -> list[dict]:
    """Train the plan's unfinished trials with its executor: one results row per trial, in the sweep's order."""
    if plan.executor == "ray":
        from vaelab.sweeps.tune import run_tune

        return run_tune(plan, sweep, out)
    from vaelab.sweeps.local import run_local

    jobs = [(t, trial_dir(out, t), state_of(trial_dir(out, t)) == "resume") for t in plan.trials
            if state_of(trial_dir(out, t)) != "finished"]
    errors = run_local(jobs, workers)
    return [row(t, trial_dir(out, t), errors.get(t.name)) for t in plan.trials]
