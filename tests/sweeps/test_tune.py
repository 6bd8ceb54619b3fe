"""The ray executor: the same trials and rows as local, failures recorded, resume after a kill, ASHA and Optuna.

One local Ray instance (2 CPUs) serves the in-process tests of this module; the kill test
runs `python -m vaelab sweep --executor ray` in its own process group with its own instance.
"""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from vaelab.errors import ConfigError
from vaelab.sweeps.run import run_sweep

pytest.importorskip("ray.tune")

BASE = {"data": {"name": "synthetic", "options": {"n": 300, "dim": 16}},
        "model": {"hidden": [16], "latent_dim": 2}, "train": {"epochs": 2, "batch_size": 50, "progress": False}}


def _metrics(run_dir) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def _table(sweep_dir) -> list[dict]:
    with open(sweep_dir / "results.csv") as fh:
        return list(csv.DictReader(fh))


def test_without_ray_the_executor_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    from tests.helpers.badinput import assert_one_clean_line, cli

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    (tmp_path / "s.yaml").write_text(yaml.safe_dump({"base": BASE, "executor": "ray"}))
    code, err = cli(capsys, ["sweep", tmp_path / "s.yaml", "--out", tmp_path / "out"])
    assert_one_clean_line(code, err, 2, "the ray executor needs Ray Tune: pip install 'vaelab[ray]'")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("ray_options,needle", [
    ({"serch": "optuna"}, "unknown key 'serch'. Did you mean 'search'"),
    ({"scheduler": "hyperband"}, "'ray.scheduler' must be one of fifo, asha"),
    ({"metric": "loss"}, "'ray.metric' must name a field of the per-epoch record"),
    ({"cpus_per_trial": 0}, "'ray.cpus_per_trial' must be a whole number >= 1"),
])
def test_bad_ray_options_are_one_line_before_anything_runs(tmp_path, ray_options, needle):
    with pytest.raises(ConfigError) as err:
        run_sweep({"base": BASE, "ray": ray_options}, tmp_path / "s", executor="ray")
    assert needle in str(err.value) and not (tmp_path / "s").exists()


def test_optuna_refuses_a_grid_and_the_ray_address_needs_the_ray_executor(tmp_path):
    space = {"optim.lr": {"loguniform": [1e-3, 1e-2]}}
    with pytest.raises(ConfigError, match="does not combine with 'grid'"):
        run_sweep({"base": BASE, "grid": {"model.latent_dim": [2]}, "search": space, "num_samples": 2,
                   "ray": {"search": "optuna"}}, tmp_path / "s", executor="ray")
    with pytest.raises(ConfigError, match="--ray-address is for the ray executor"):
        run_sweep({"base": BASE}, tmp_path / "s", ray_address="auto")


def test_a_killed_ray_sweep_skips_its_finished_trial_and_resumes_the_interrupted_one(tmp_path):
    """A real kill: SIGKILL to the command's process group while one trial is done and the other mid-way."""
    sweep = {"base": {**BASE, "data": {"name": "synthetic", "options": {"n": 2000, "dim": 32}},
                      "model": {"hidden": [64], "latent_dim": 2}},
             "grid": {"train.epochs": [1, 150]}, "executor": "ray"}  # 150: still running when the short one is done
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(sweep))
    out, short, long = tmp_path / "out", tmp_path / "out" / "runs" / "epochs-1", tmp_path / "out" / "runs" / "epochs-150"
    command = [sys.executable, "-m", "vaelab", "sweep", str(tmp_path / "s.yaml"), "--out", str(out)]
    proc = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 120
        while not ((short / "summary.json").exists() and (long / "metrics.jsonl").exists()
                   and len(_metrics(long)) >= 2):
            assert proc.poll() is None and time.time() < deadline, proc.stderr.read().decode()
            time.sleep(0.1)
    finally:
        _kill_session(proc)
    first = _metrics(long)
    assert len(first) < 150
    stamp = (short / "summary.json").stat().st_mtime_ns
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert rerun.returncode == 0, rerun.stderr
    assert "Traceback" not in rerun.stderr
    assert (short / "summary.json").stat().st_mtime_ns == stamp  # finished: skipped
    records = _metrics(long)
    assert [r["epoch"] for r in records] == list(range(1, 151))
    assert records[0] == first[0]  # resumed from its checkpoint: the epochs before the kill are kept
    assert [r["status"] for r in _table(out)] == ["completed", "completed"]


def _kill_session(proc) -> None:
    """SIGKILL the command's process group, then any process it left in its session (Ray's, by their ids)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    time.sleep(2)
    listing = subprocess.run(["ps", "-eo", "pid=,sid="], capture_output=True, text=True).stdout.split()
    for pid, sid in zip(listing[::2], listing[1::2]):
        if int(sid) == proc.pid:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray instance on 2 CPUs for the module (it takes about 2 s to start here)."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def test_a_grid_sweep_on_ray_gives_the_local_trials_and_rows_and_records_a_failure(tmp_path, local_ray):
    sweep = {"base": BASE, "grid": {"data.options.n": [300, 2]}}  # n=2 is too small to train: a failing trial
    rows = run_sweep(sweep, tmp_path / "ray", executor="ray")
    local = run_sweep(sweep, tmp_path / "local", workers=2)
    assert [(r["trial"], r["status"], r["epochs"]) for r in rows] == [("n-300", "completed", 2), ("n-2", "failed", None)]
    assert [(r["trial"], r["status"], r["epochs"], r["error"]) for r in rows] == \
           [(r["trial"], r["status"], r["epochs"], r["error"]) for r in local]
    assert "too small" in rows[1]["error"] and "\n" not in rows[1]["error"]
    assert list(_table(tmp_path / "ray")[0]) == list(_table(tmp_path / "local")[0])  # the same columns
    assert (tmp_path / "ray" / ".ray").is_dir()  # Ray's own files stay in the sweep
    weights = next((tmp_path / "ray" / "runs" / "n-300" / "checkpoints").glob("epoch_*/model.safetensors"))
    stamp = weights.stat().st_mtime_ns
    run_sweep(sweep, tmp_path / "ray", executor="ray")  # the finished trial is skipped
    assert weights.stat().st_mtime_ns == stamp


def test_a_metric_the_record_lacks_fails_the_trial_with_the_fields_it_has(tmp_path, local_ray):
    rows = run_sweep({"base": BASE, "ray": {"metric": "valid_lss"}}, tmp_path / "s", executor="ray")
    assert rows[0]["status"] == "failed"
    assert "'valid_lss' is not in this run's per-epoch record; it has" in rows[0]["error"]
    assert "valid_loss" in rows[0]["error"]


def test_asha_stops_a_clearly_worse_trial_early_and_a_rerun_leaves_it_stopped(tmp_path, local_ray):
    base = {**BASE, "train": {**BASE["train"], "epochs": 6}}
    sweep = {"base": base, "grid": {"optim.lr": [1e-2, 1e-7]},  # the second barely moves: worse at epoch 1
             "ray": {"scheduler": "asha", "grace_period": 1, "reduction_factor": 2, "max_concurrent": 1}}
    rows = {r["trial"]: r for r in run_sweep(sweep, tmp_path / "s", executor="ray")}
    assert rows["lr-0.01"]["status"] == "completed" and rows["lr-0.01"]["epochs"] == 6
    stopped = rows["lr-1e-07"]
    assert stopped["status"] == "stopped (asha)" and stopped["epochs"] < 6 and stopped["best_valid_loss"] is not None
    run_dir = tmp_path / "s" / "runs" / "lr-1e-07"
    before = (run_dir / "metrics.jsonl").read_text()
    again = {r["trial"]: r for r in run_sweep(sweep, tmp_path / "s", executor="ray")}
    assert again["lr-1e-07"]["status"] == "stopped (asha)"
    assert (run_dir / "metrics.jsonl").read_text() == before  # not resumed


def test_optuna_draws_num_samples_trials_in_the_space_and_a_rerun_continues_the_study(tmp_path, local_ray):
    space = {"optim.lr": {"loguniform": [1e-3, 1e-2]}, "model.latent_dim": {"choice": [2, 3]}}
    sweep = {"base": {**BASE, "train": {**BASE["train"], "epochs": 1}}, "search": space, "num_samples": 3,
             "search_seed": 1, "ray": {"search": "optuna"}}
    rows = run_sweep(sweep, tmp_path / "s", executor="ray")
    assert len(rows) == 3 and {r["status"] for r in rows} == {"completed"}
    assert all(1e-3 <= r["optim.lr"] <= 1e-2 and r["model.latent_dim"] in (2, 3) for r in rows)
    for r in rows:
        config = yaml.safe_load((tmp_path / "s" / "runs" / r["trial"] / "config.yaml").read_text())
        assert config["optim"]["lr"] == r["optim.lr"]  # the run trained the drawn value
    stamps = {r["trial"]: (tmp_path / "s" / "runs" / r["trial"] / "summary.json").stat().st_mtime_ns for r in rows}
    more = run_sweep({**sweep, "num_samples": 4}, tmp_path / "s", executor="ray")
    assert len(more) == 4 and {r["trial"] for r in rows} < {r["trial"] for r in more}
    assert all((tmp_path / "s" / "runs" / n / "summary.json").stat().st_mtime_ns == s for n, s in stamps.items())


def test_the_sweep_files_of_the_docs_are_valid_and_the_optuna_asha_example_runs(tmp_path, local_ray):
    import re
    from pathlib import Path

    from vaelab.sweeps.spec import plan_sweep

    doc = (Path(__file__).resolve().parents[2] / "docs" / "sweeps.md").read_text()
    files = {b.splitlines()[0].lstrip("# "): yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", doc, re.S)}
    assert set(files) == {"sweep.yaml", "tune.yaml"}
    assert len(plan_sweep(files["sweep.yaml"]).trials) == 8
    rows = run_sweep(files["tune.yaml"], tmp_path / "tune")
    assert len(rows) == 4 and all(r["status"] == "completed" or r["status"] == "stopped (asha)" for r in rows)
