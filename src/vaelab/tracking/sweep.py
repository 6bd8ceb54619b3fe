"""A sweep as one MLflow parent run with its trials as children.

The sweep code calls :func:`mlflow_sweep_parent` around the trials::

    with mlflow_sweep_parent(sweep_dir, name, loggers) as parent_id:
        run the trials   # each trial's MLflow run is a child of parent_id

When ``mlflow`` is among ``loggers`` it opens (or, when the sweep runs again, reopens)
the parent run recorded in ``SWEEP_DIR/tracking.json`` and, for the block, sets the
environment variables :data:`PARENT_ENV` (the parent's run id) and
``MLFLOW_TRACKING_URI`` (the parent's store, absolute), which worker processes inherit:
a trial's MLflow tracker then creates its run in the parent's experiment with the tag
``mlflow.parentRunId``, the tag MLflow's UI nests runs by. On leaving, the sweep's
``sweep.yaml`` and ``results.csv`` are logged as the parent's artifacts and its status is
set (FINISHED, KILLED on an interrupt, FAILED on an error). Workers that do not inherit
the environment (a Ray cluster started elsewhere) need the two variables passed, e.g.
``runtime_env={"env_vars": sweep_env(parent_id)}``.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterable, Iterator

from vaelab.errors import ConfigError
from vaelab.fileio import read_json, write_json
from vaelab.tracking.mlflow import (DEFAULT_EXPERIMENT, PARENT_ENV, attach, client_for, experiment_id, require,
                                    tracking_uri)

#: the sweep folder's record of its parent run
SWEEP_TRACKING = "tracking.json"
#: the sweep files logged as the parent's artifacts when the sweep ends
SWEEP_FILES = ("sweep.yaml", "results.csv")

__all__ = ["PARENT_ENV", "end_sweep_parent", "mlflow_sweep_parent", "start_sweep_parent", "sweep_env"]


def _record(sweep_dir) -> dict:
    path = Path(sweep_dir) / SWEEP_TRACKING
    return read_json(path).get("mlflow", {}) if path.is_file() else {}


def start_sweep_parent(sweep_dir, name: str) -> str:
    """Open the sweep's parent MLflow run (reopened when ``SWEEP_DIR/tracking.json`` names one) and return its id.

    The run is named ``name``, in the experiment ``MLFLOW_EXPERIMENT_NAME`` (default ``vaelab``),
    in the store ``MLFLOW_TRACKING_URI`` (default ``./mlruns``). ConfigError when mlflow is missing.
    """
    try:
        require()
    except ImportError as err:
        raise ConfigError(f"train.loggers: mlflow needs the {(err.name or 'mlflow').split('.')[0]} package: "
                          "pip install 'vaelab[mlflow]'") from None
    sweep_dir = Path(sweep_dir)
    recorded = _record(sweep_dir)
    uri = recorded.get("tracking_uri") or tracking_uri()
    client = client_for(uri)
    if recorded.get("run_id"):
        with contextlib.suppress(Exception):  # gone from the store: a new parent below
            client.get_run(recorded["run_id"])
            client.update_run(recorded["run_id"], status="RUNNING")
            return recorded["run_id"]
    exp = experiment_id(client, os.environ.get("MLFLOW_EXPERIMENT_NAME") or DEFAULT_EXPERIMENT)
    run = client.create_run(exp, run_name=name, tags={"vaelab.sweep_dir": str(sweep_dir.resolve())})
    sweep_dir.mkdir(parents=True, exist_ok=True)
    write_json(sweep_dir / SWEEP_TRACKING, {"mlflow": {"run_id": run.info.run_id, "tracking_uri": uri,
                                                       "experiment_id": exp}})
    return run.info.run_id


def end_sweep_parent(sweep_dir, status: str = "FINISHED") -> None:
    """Log the sweep's ``sweep.yaml`` and ``results.csv`` to its parent run and set the run's ``status``."""
    recorded = _record(sweep_dir)
    if not recorded.get("run_id"):
        return
    client = client_for(recorded["tracking_uri"])
    try:
        attach(client, recorded["run_id"], [Path(sweep_dir) / f for f in SWEEP_FILES])
    finally:
        client.set_terminated(recorded["run_id"], status)


def sweep_env(parent_id: str, sweep_dir=None) -> dict[str, str]:
    """The environment a trial process needs to be a child of ``parent_id``: :data:`PARENT_ENV` and the store."""
    uri = _record(sweep_dir).get("tracking_uri") if sweep_dir is not None else None
    return {PARENT_ENV: parent_id, "MLFLOW_TRACKING_URI": uri or tracking_uri()}


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """``os.environ`` with ``values`` set for the block, then as it was."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def mlflow_sweep_parent(sweep_dir, name: str, loggers: Iterable[str]) -> Iterator[str | None]:
    """Around a sweep's trials: yields the parent run id (None, doing nothing, unless ``"mlflow"`` is in
    ``loggers``: the union of the trials' ``train.loggers``); trials started inside are its children."""
    if "mlflow" not in set(loggers):
        yield None
        return
    parent = start_sweep_parent(sweep_dir, name)
    status = "FAILED"
    try:
        with _environment(sweep_env(parent, sweep_dir)):
            yield parent
        status = "FINISHED"
    except KeyboardInterrupt:
        status = "KILLED"
        raise
    finally:
        end_sweep_parent(sweep_dir, status)
