"""MLflow: the run read back with MlflowClient, against config.yaml, metrics.jsonl and summary.json."""

import json
import os

import pytest
from mlflow import MlflowClient

from vaelab.config import load_config, make_config
from vaelab.config.io import config_to_dict
from vaelab.fileio import read_jsonl
from vaelab.tracking import mlflow_sweep_parent
from vaelab.tracking.mlflow import PARENT_ENV
from vaelab.tracking.names import config_params, epoch_scalars
from vaelab.training import train_run
from tests.helpers import tiny_config


def tracked(run_dir) -> tuple[MlflowClient, str]:
    info = json.loads((run_dir / "tracking.json").read_text())["mlflow"]
    return MlflowClient(tracking_uri=info["tracking_uri"]), info["run_id"]


def history(client, run_id, key) -> list[tuple[int, float]]:
    return sorted((m.step, m.value) for m in client.get_metric_history(run_id, key))


def check_metrics_equal(client, run_id, records) -> None:
    for key in epoch_scalars(records[-1]):
        assert history(client, run_id, key) == [(r["epoch"], float(epoch_scalars(r)[key])) for r in records], key
    for i in range(len(records[-1]["valid_kl_per_dim"])):
        assert history(client, run_id, f"valid/kl_dim/{i}") == [(r["epoch"], r["valid_kl_per_dim"][i])
                                                                for r in records]


def test_params_metrics_artifacts_and_status(tmp_path):
    out = train_run(make_config(tiny_config(loggers=["mlflow"], log_every=4)), out=tmp_path / "r")
    client, run_id = tracked(out)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert client.get_experiment(run.info.experiment_id).name == "vaelab"
    assert run.info.run_name == "r" and run.data.tags["vaelab.status"] == "completed"
    params = run.data.params
    assert params == config_params(config_to_dict(load_config(out / "config.yaml", saved_run=True)))
    assert params["model.latent_dim"] == "4" and params["data.options.n"] == "600"
    assert params["train.loggers"] == '["mlflow"]' and params["data.name"] == "synthetic"
    check_metrics_equal(client, run_id, read_jsonl(out / "metrics.jsonl"))
    assert [s for s, _ in history(client, run_id, "step/loss")] == [4, 8, 10, 14, 18, 20]
    summary = json.loads((out / "summary.json").read_text())
    assert run.data.metrics["best/valid_loss"] == summary["best"]["valid_loss"]
    files = {a.path for a in client.list_artifacts(run_id)} | {a.path for a in client.list_artifacts(run_id, "figures")}
    assert {"config.yaml", "metrics.jsonl", "summary.json", "figures/curves.png"} <= files


def test_a_resumed_run_continues_the_same_mlflow_run(tmp_path):
    out = train_run(make_config(tiny_config(loggers=["mlflow"], epochs=1, log_every=4)), out=tmp_path / "r")
    client, run_id = tracked(out)
    train_run(make_config(tiny_config(loggers=["mlflow"], epochs=3, log_every=4)), out=out, resume=True)
    assert tracked(out)[1] == run_id
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["train.epochs"] == "1" and run.data.tags["vaelab.resumed.train.epochs"] == "3"
    check_metrics_equal(client, run_id, read_jsonl(out / "metrics.jsonl"))
    assert [s for s, _ in history(client, run_id, "step/loss")] == [4, 8, 10, 14, 18, 20, 24, 28, 30]


class Interrupt:
    def on_epoch(self, record):
        raise KeyboardInterrupt


def test_an_interrupted_run_is_killed_and_keeps_no_unfinished_steps(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        train_run(make_config(tiny_config(loggers=["mlflow"], log_every=4)), out=tmp_path / "r",
                  callbacks=[Interrupt()])
    client, run_id = tracked(tmp_path / "r")
    run = client.get_run(run_id)
    assert run.info.status == "KILLED" and run.data.tags["vaelab.status"] == "interrupted"
    assert history(client, run_id, "step/loss") == []  # epoch 1 never finished: its steps are redone on resume


def test_sweep_trials_are_children_of_the_parent_run(tmp_path):
    sweep = tmp_path / "sweep"
    before = dict(os.environ)
    with mlflow_sweep_parent(sweep, "my-sweep", ["mlflow"]) as parent:
        assert os.environ[PARENT_ENV] == parent
        for name in ("a", "b"):
            train_run(make_config(tiny_config(loggers=["mlflow"], epochs=1)), out=sweep / "runs" / name)
    assert dict(os.environ) == before
    client, _ = tracked(sweep / "runs" / "a")
    parent_run = client.get_run(parent)
    assert parent_run.info.status == "FINISHED" and parent_run.info.run_name == "my-sweep"
    children = client.search_runs([parent_run.info.experiment_id], f"tags.mlflow.parentRunId = '{parent}'")
    assert sorted(r.info.run_name for r in children) == ["a", "b"]
    with mlflow_sweep_parent(sweep, "my-sweep", ["mlflow"]) as again:  # the sweep run again: the same parent
        assert again == parent
    with mlflow_sweep_parent(sweep, "other", ["tensorboard"]) as none:
        assert none is None and PARENT_ENV not in os.environ


def test_without_a_tracking_uri_runs_go_to_a_local_store_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    out = train_run(make_config(tiny_config(loggers=["mlflow"], epochs=1)), out=tmp_path / "r")
    client, run_id = tracked(out)
    assert client.tracking_uri == f"sqlite:///{tmp_path.resolve() / 'mlruns' / 'mlflow.db'}"
    assert client.get_run(run_id).info.artifact_uri.startswith(str(tmp_path.resolve() / "mlruns"))


def test_a_local_sweep_logs_each_trial_as_a_child_of_one_parent_run(tmp_path):
    from vaelab.sweeps.run import run_sweep

    base = tiny_config(loggers=["mlflow"], epochs=1)
    rows = run_sweep({"base": base, "grid": {"model.latent_dim": [2, 3]}}, tmp_path / "s", workers=2, progress=False)
    assert [r["status"] for r in rows] == ["completed"] * 2
    client, run_id = tracked(tmp_path / "s" / "runs" / "latent_dim-2")
    parent = client.get_run(run_id).data.tags["mlflow.parentRunId"]
    parent_run = client.get_run(parent)
    assert parent_run.info.run_name == "s" and parent_run.info.status == "FINISHED"
    children = client.search_runs([parent_run.info.experiment_id], f"tags.mlflow.parentRunId = '{parent}'")
    assert sorted(r.info.run_name for r in children) == ["latent_dim-2", "latent_dim-3"]
    history = [m.value for m in client.get_metric_history(run_id, "valid/neg_elbo")]
    assert history == [r["valid_neg_elbo"] for r in read_jsonl(tmp_path / "s" / "runs" / "latent_dim-2" / "metrics.jsonl")]
