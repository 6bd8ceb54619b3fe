"""``RUN_DIR/tracking.json``: where a run was tracked, so later sessions find the same tracker run.

One section per tracker: ``{"mlflow": {"run_id", "tracking_uri", "experiment_id",
"parent_run_id"}, "tensorboard": {"logdir": "tb", "steps_per_epoch": N}}``. A resumed
run reopens the MLflow run and purges TensorBoard steps from its last checkpoint on;
``vaelab plot`` and ``vaelab report`` attach their files to the recorded MLflow run.
"""

from __future__ import annotations

from pathlib import Path

from vaelab.fileio import read_json, write_json
from vaelab.rundir.layout import RunLayout


def read_tracking(run_dir) -> dict:
    """The run's ``tracking.json`` (empty when the run was never tracked)."""
    path = RunLayout(Path(run_dir)).tracking
    return read_json(path) if path.is_file() else {}


def section(run_dir, tracker: str) -> dict:
    """One tracker's section of ``tracking.json`` (empty when absent)."""
    return dict(read_tracking(run_dir).get(tracker) or {})


def update_section(run_dir, tracker: str, **fields) -> None:
    """Merge ``fields`` into the tracker's section and rewrite ``tracking.json`` atomically."""
    data = read_tracking(run_dir)
    data[tracker] = {**(data.get(tracker) or {}), **fields}
    write_json(RunLayout(Path(run_dir)).tracking, data)
