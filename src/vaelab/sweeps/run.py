"""Run a sweep into ``SWEEP_DIR``: ``sweep.yaml`` (resolved), ``runs/<trial>/`` and ``results.csv``.

Running the same sweep again skips finished trials and resumes the others from their
last checkpoint; a failed trial is recorded with its error.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from vaelab.fileio import atomic_write_text
from vaelab.sweeps.local import run_local
from vaelab.sweeps.results import row, state_of, trial_dir, write_results
from vaelab.sweeps.spec import expand


def run_sweep(sweep: dict, out, workers: int | None = None) -> list[dict]:
    """Expand ``sweep`` (see :mod:`vaelab.sweeps.spec`), run what is not finished, and return the results rows."""
    out = Path(out)
    trials = expand(sweep)  # every config validated before anything starts
    out.mkdir(parents=True, exist_ok=True)
    resolved = {**sweep, "trials": [{"name": t.name, "varied": t.varied} for t in trials]}
    atomic_write_text(out / "sweep.yaml", yaml.safe_dump(resolved, sort_keys=False))
    jobs = [(t, trial_dir(out, t), state_of(trial_dir(out, t)) == "resume") for t in trials
            if state_of(trial_dir(out, t)) != "finished"]
    errors = run_local(jobs, workers)
    rows = [row(t, trial_dir(out, t), errors.get(t.name)) for t in trials]
    write_results(out / "results.csv", rows)
    return rows
