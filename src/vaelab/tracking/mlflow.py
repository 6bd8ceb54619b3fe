"""``train.loggers: [mlflow]``: the run as an MLflow run (params, metrics, artifacts, status).

Store: ``MLFLOW_TRACKING_URI`` when set (a server, a database, ...), else a local SQLite
store in ``./mlruns/mlflow.db`` with the artifacts beside it in ``./mlruns/`` (the
working directory at training time). MLflow 3 refuses its old ``./mlruns`` file store
unless ``MLFLOW_ALLOW_FILE_STORE=true`` and recommends SQLite, which works offline and
needs only ``sqlalchemy`` and ``alembic`` besides ``mlflow-skinny`` (the ``vaelab[mlflow]``
extra installs them). Experiment: ``MLFLOW_EXPERIMENT_NAME`` when set, else ``vaelab``
(a sweep trial goes in its parent's experiment).

What is logged: params = the resolved config flattened (``model.latent_dim``); per epoch
(step = epoch) every numeric field of the ``metrics.jsonl`` record under the names of
:mod:`vaelab.tracking.names` plus the per-dimension KL (``valid/kl_dim/<i>``); per step
(step = global step) ``step/<term>``, sent with the epoch's metrics (one write per
epoch; the steps of an epoch that never finished are not sent, as ``metrics.jsonl``
has no record of it); at the end the summary's numbers as metrics and its words as
``vaelab.*`` tags, the run status (completed/early-stopped -> FINISHED, diverged/failed
-> FAILED, interrupted -> KILLED), and as artifacts config.yaml, metrics.jsonl,
summary.json and the figures (``figures/curves.png`` drawn from metrics.jsonl, and every
``plots/*.png``). The run id goes to ``tracking.json``: a resumed run continues the same
MLflow run (params that changed on resume become ``vaelab.resumed.<key>`` tags: MLflow
params cannot change), and ``vaelab plot`` / ``vaelab report`` add their files to it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
import warnings
from pathlib import Path

from vaelab.config import config_to_dict
from vaelab.rundir.layout import CONFIG, METRICS, SUMMARY, RunLayout
from vaelab.tracking.base import Tracker, guarded
from vaelab.tracking.figures import end_figures
from vaelab.tracking.names import (KL_DIM_PREFIX, config_params, epoch_scalars, kl_per_dim, step_scalars,
                                   summary_scalars, summary_tags)
from vaelab.tracking.state import section, update_section

NAME = "mlflow"
#: the environment variable naming the parent run of a sweep's trials (set by :func:`vaelab.tracking.sweep`)
PARENT_ENV = "VAELAB_MLFLOW_PARENT_RUN_ID"
#: the experiment when ``MLFLOW_EXPERIMENT_NAME`` is not set
DEFAULT_EXPERIMENT = "vaelab"
#: the local store's folder (in the working directory) and database file
LOCAL_STORE = "mlruns"
LOCAL_DB = "mlflow.db"
#: summary.json status -> MLflow run status
STATUS = {"completed": "FINISHED", "early-stopped": "FINISHED", "interrupted": "KILLED",
          "diverged": "FAILED", "failed": "FAILED"}
#: MLflow's batch limits (mlflow.utils.validation)
MAX_METRICS = 1000
MAX_PARAMS = 100


def uses_local_store() -> bool:
    """True when no ``MLFLOW_TRACKING_URI`` is set: runs go to the local SQLite store ``./mlruns/mlflow.db``."""
    return not os.environ.get("MLFLOW_TRACKING_URI")


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI``, or the local store ``sqlite:///<cwd>/mlruns/mlflow.db`` (absolute, so later
    commands run from elsewhere reach the same store through ``tracking.json``)."""
    if not uses_local_store():
        return os.environ["MLFLOW_TRACKING_URI"]
    return f"sqlite:///{Path.cwd().resolve() / LOCAL_STORE / LOCAL_DB}"


def require() -> None:
    """Import what this tracker needs; ImportError naming the missing package (the local store needs SQLAlchemy
    and Alembic, which ``mlflow-skinny`` does not install)."""
    import mlflow  # noqa: F401

    if uses_local_store():
        import sqlalchemy  # noqa: F401
        import alembic  # noqa: F401


@contextlib.contextmanager
def _quiet_store():
    """Silence the store's first-use chatter (table creation lines, SQLAlchemy deprecation warnings)."""
    loggers = [logging.getLogger(n) for n in ("mlflow.store.db.utils", "alembic", "alembic.runtime.migration")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def client_for(uri: str):
    """An ``MlflowClient`` on ``uri`` (the local store's folder is created first: SQLite does not make it)."""
    from mlflow import MlflowClient

    if uri.startswith("sqlite:///"):
        Path(uri[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    with _quiet_store():
        return MlflowClient(tracking_uri=uri)


def experiment_id(client, name: str) -> str:
    """The id of the experiment ``name``, created when missing (another process creating it first is fine)."""
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    try:
        return client.create_experiment(name)
    except Exception:  # noqa: BLE001 - a concurrent trial created it between the two calls
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return found.experiment_id


def _batches(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def log_metrics(client, run_id: str, values: dict[str, float], step: int) -> None:
    """``values`` at ``step`` in as few ``log_batch`` calls as MLflow allows."""
    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    metrics = [Metric(k, v, now, step) for k, v in values.items()]
    for batch in _batches(metrics, MAX_METRICS):
        client.log_batch(run_id, metrics=batch)


def log_tags(client, run_id: str, tags: dict[str, str]) -> None:
    from mlflow.entities import RunTag

    for batch in _batches([RunTag(k, v[:5000]) for k, v in tags.items()], MAX_PARAMS):
        client.log_batch(run_id, tags=batch)


def log_params(client, run_id: str, params: dict[str, str], existing: dict[str, str]) -> None:
    """Log the params not already on the run; one whose value changed (a resume with new settings) becomes the
    tag ``vaelab.resumed.<key>``, since MLflow refuses to change a param."""
    from mlflow.entities import Param

    new = [Param(k, v) for k, v in params.items() if k not in existing]
    for batch in _batches(new, MAX_PARAMS):
        client.log_batch(run_id, params=batch)
    changed = {f"vaelab.resumed.{k}": v for k, v in params.items() if k in existing and existing[k] != v}
    log_tags(client, run_id, changed)


def attach(client, run_id: str, paths, artifact_path: str | None = None) -> None:
    """Log the files ``paths`` (those that exist) as artifacts of the run, under ``artifact_path``."""
    for path in paths:
        if Path(path).is_file():
            client.log_artifact(run_id, str(path), artifact_path)


class MlflowTracker(Tracker):
    """Logs the run to MLflow: one MLflow run per run directory, reopened on resume."""

    name = NAME

    def __init__(self):
        super().__init__()
        self.client = None
        self.run_id = None
        self.pending: list[tuple[int, dict]] = []  # step metrics, sent with their epoch's record

    @guarded
    def on_start(self, cfg, run_dir, start_epoch: int) -> None:
        self.run_dir = run_dir
        recorded = section(run_dir, NAME)
        uri = recorded.get("tracking_uri") or tracking_uri()
        self.client = client_for(uri)
        run = self._reopen(recorded.get("run_id")) or self._create(run_dir)
        self.run_id = run.info.run_id
        update_section(run_dir, NAME, run_id=self.run_id, tracking_uri=uri, experiment_id=run.info.experiment_id,
                       parent_run_id=run.data.tags.get("mlflow.parentRunId"))
        log_params(self.client, self.run_id, config_params(config_to_dict(cfg)), dict(run.data.params))

    def _reopen(self, run_id: str | None):
        """The recorded run, set RUNNING again; None when there is none (or it was deleted from the store)."""
        if not run_id:
            return None
        try:
            run = self.client.get_run(run_id)
        except Exception:  # noqa: BLE001 - gone from the store: a new run
            warnings.warn(f"the MLflow run {run_id} recorded in tracking.json is not in the store; starting a new one",
                          RuntimeWarning, stacklevel=3)
            return None
        self.client.update_run(run_id, status="RUNNING")
        return run

    def _create(self, run_dir):
        """A new MLflow run named after the run directory; a child of the sweep's run when ``PARENT_ENV`` is set."""
        parent = os.environ.get(PARENT_ENV)
        tags = {"vaelab.run_dir": str(Path(run_dir).resolve())}
        if parent:
            exp = self.client.get_run(parent).info.experiment_id
            tags["mlflow.parentRunId"] = parent
        else:
            exp = experiment_id(self.client, os.environ.get("MLFLOW_EXPERIMENT_NAME") or DEFAULT_EXPERIMENT)
        return self.client.create_run(exp, run_name=Path(run_dir).resolve().name, tags=tags)

    @guarded
    def on_step(self, step: int, terms: dict) -> None:
        self.pending.append((step, step_scalars(terms)))

    @guarded
    def on_epoch(self, record: dict) -> None:
        epoch = int(record.get("epoch", 0))
        values = epoch_scalars(record)
        kl = kl_per_dim(record)
        if kl is not None:
            values.update({f"{KL_DIM_PREFIX}/{i}": v for i, v in enumerate(kl)})
        self._send_steps()
        log_metrics(self.client, self.run_id, values, epoch)

    def _send_steps(self) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        metrics = [Metric(k, v, now, step) for step, values in self.pending for k, v in values.items()]
        self.pending = []
        for batch in _batches(metrics, MAX_METRICS):
            self.client.log_batch(self.run_id, metrics=batch)

    @guarded
    def on_end(self, summary: dict) -> None:
        self.pending = []  # steps of an epoch that did not finish: no record, no checkpoint; a resume redoes them
        status = STATUS.get(summary.get("status"), "FAILED")
        try:
            log_metrics(self.client, self.run_id, summary_scalars(summary), int(summary.get("epochs_completed") or 0))
            log_tags(self.client, self.run_id, summary_tags(summary))
            layout = RunLayout(self.run_dir)
            attach(self.client, self.run_id, [layout.root / CONFIG, layout.root / METRICS, layout.root / SUMMARY])
            self._attach_figures()
        finally:
            self.client.set_terminated(self.run_id, status)

    def _attach_figures(self) -> None:
        """The end figures (``curves`` from metrics.jsonl, ``plots/*.png``) under the artifact folder ``figures``."""
        with tempfile.TemporaryDirectory(prefix="vaelab-figures-") as tmp:
            paths = []
            for name, png in end_figures(self.run_dir).items():
                path = Path(tmp) / f"{name}.png"
                path.write_bytes(png)
                paths.append(path)
            attach(self.client, self.run_id, paths, "figures")


def recorded_client(run_dir):
    """``(client, run_id)`` of the MLflow run recorded in ``tracking.json``; None when the run was not tracked."""
    info = section(run_dir, NAME)
    if not info.get("run_id") or not info.get("tracking_uri"):
        return None
    return client_for(info["tracking_uri"]), info["run_id"]
