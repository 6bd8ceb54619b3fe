"""train.loggers: the config key, a missing package refused before any folder, a failing tracker, later files."""

import json
import sys

import pytest
from mlflow import MlflowClient

from vaelab.config import make_config
from vaelab.errors import ConfigError
from vaelab.pipeline.plotting import plot_run
from vaelab.report import build_report
from vaelab.training import train_run
from tests.helpers import tiny_config


def test_the_key_takes_a_list_from_yaml_or_set_and_refuses_unknown_names():
    cfg = make_config(tiny_config(), overrides=["train.loggers=[tensorboard, mlflow]"])
    assert cfg.train.loggers == ["tensorboard", "mlflow"]
    assert make_config(tiny_config()).train.loggers == []
    with pytest.raises(ConfigError, match="loggers"):
        make_config(tiny_config(loggers=["wandb"]))


@pytest.mark.parametrize("logger, module, extra", [("tensorboard", "tensorboard", "tensorboard"),
                                                   ("mlflow", "mlflow", "mlflow"),
                                                   ("mlflow", "sqlalchemy", "mlflow")])
def test_a_missing_package_is_one_line_and_leaves_no_folder(tmp_path, monkeypatch, logger, module, extra):
    if module == "sqlalchemy":  # only the default local store needs it
        monkeypatch.delenv("MLFLOW_TRACKING_URI")
    monkeypatch.setitem(sys.modules, module, None)  # `import module` now raises ImportError
    with pytest.raises(ConfigError) as err:
        train_run(make_config(tiny_config(loggers=[logger])), out=tmp_path / "r")
    assert str(err.value) == f"train.loggers: {logger} needs the {module} package: pip install 'vaelab[{extra}]'"
    assert not (tmp_path / "r").exists()


def test_a_failing_tracker_warns_once_and_training_completes(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("vaelab.tracking.tensorboard.open_writer", broken)
    with pytest.warns(RuntimeWarning, match="tensorboard failed in on_start.*disk full") as caught:
        out = train_run(make_config(tiny_config(loggers=["tensorboard"])), out=tmp_path / "r")
    assert len([w for w in caught if "train.loggers" in str(w.message)]) == 1
    assert json.loads((out / "summary.json").read_text())["status"] == "completed"


def test_plot_and_report_add_their_files_to_the_runs_trackers(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out = train_run(make_config(tiny_config(loggers=["mlflow", "tensorboard"], epochs=1)), out=tmp_path / "r")
    plot_run(out, ["curves"], progress=False)
    report = build_report([out], tmp_path / "report.html")
    info = json.loads((out / "tracking.json").read_text())["mlflow"]
    client = MlflowClient(tracking_uri=info["tracking_uri"])
    assert [a.path for a in client.list_artifacts(info["run_id"], "report")] == ["report/report.html"]
    assert "figures/curves.png" in [a.path for a in client.list_artifacts(info["run_id"], "figures")]
    acc = EventAccumulator(str(out / "tb"), size_guidance={"images": 0}).Reload()
    assert len(acc.Images("figures/curves")) == 2  # at the end of training, and from `vaelab plot`
    assert report.is_file()


def test_a_run_without_loggers_writes_no_tracking_files(tmp_path):
    out = train_run(make_config(tiny_config(epochs=1)), out=tmp_path / "r")
    assert not (out / "tracking.json").exists() and not (out / "tb").exists()
    assert plot_run(out, ["curves"], progress=False).written
