"""What a sweep has done: each trial's state from its run directory, and ``results.csv`` (one row per trial)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Iterable

from vaelab.fileio import atomic_write_text
from vaelab.rundir.layout import RunLayout, SweepLayout
from vaelab.sweeps.spec import Trial

#: summary statuses of a trial that is over: a re-run of the sweep skips it
FINISHED = ("completed", "early-stopped")


def trial_dir(sweep_dir, trial: Trial) -> Path:
    """``SWEEP_DIR/runs/<trial name>``: an ordinary run directory."""
    return SweepLayout(sweep_dir).run(trial.name)


def summary_of(run_dir: Path) -> dict:
    """The run's ``summary.json``, or ``{}`` when it has none yet (or an unreadable one)."""
    try:
        return json.loads(RunLayout(run_dir).summary.read_text())
    except (OSError, ValueError):
        return {}


def state_of(run_dir: Path) -> str:
    """``new`` (nothing yet), ``finished`` (completed or early-stopped) or ``resume`` (begun, not finished)."""
    if not RunLayout(run_dir).is_run():
        return "new"
    return "finished" if summary_of(run_dir).get("status") in FINISHED else "resume"


def row(trial: Trial, run_dir: Path, error: str | None = None) -> dict:
    """The trial's ``results.csv`` row: its varied values, status, epochs, best and final figures, wall time."""
    summary = summary_of(run_dir)
    final = summary.get("final", {})
    best = summary.get("best", {})
    return {"trial": trial.name, **trial.varied,
            "status": "failed" if error else summary.get("status", "not run"),
            "epochs": summary.get("epochs_completed"), "best_checkpoint": best.get("checkpoint"),
            "best_valid_loss": best.get("valid_loss"), "valid_neg_elbo": final.get("valid_neg_elbo"),
            "valid_kl": final.get("valid_kl"), "valid_au": final.get("valid_au"),
            "wall_time_s": summary.get("wall_time_s"), "error": error or summary.get("error")}


def write_results(path, rows: Iterable[dict]) -> None:
    """``results.csv``, atomically; columns in the order they first appear, ``error`` last."""
    rows = list(rows)
    columns = sorted(dict.fromkeys(k for r in rows for k in r), key=lambda k: k == "error")
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns)
    writer.writeheader()
    for r in rows:
        writer.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in columns})
    atomic_write_text(path, text.getvalue())
