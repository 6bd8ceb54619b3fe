"""SIGTERM to a running sweep: every trial saves and says `interrupted`, results.csv is written, the same command
resumes them, and no worker is left behind."""

import csv
import json
import signal
import subprocess
import sys
import time

import yaml

from tests.helpers import alive

SWEEP = {"base": {"data": {"name": "synthetic", "options": {"n": 3000, "dim": 64}}, "model": {"hidden": [64]},
                  "train": {"epochs": 60, "batch_size": 50}},
         "seeds": 2}


def _sweep(tmp_path):
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(SWEEP))
    cmd = [sys.executable, "-m", "vaelab", "sweep", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "out"),
           "--workers", "2"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _checkpointed(run):
    return (run / "checkpoints" / "latest.json").is_file()


def test_sigterm_stops_every_trial_cleanly_and_the_same_command_resumes(tmp_path):
    runs = tmp_path / "out" / "runs"
    proc = _sweep(tmp_path)
    deadline = time.monotonic() + 120
    while not all(_checkpointed(runs / f"seed-{s}") for s in (0, 1)):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.1)
    workers = [int(p) for p in subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                                                text=True).stdout.split()]
    proc.send_signal(signal.SIGTERM)  # to the sweep alone, as Slurm or `timeout` would
    _, err = proc.communicate(timeout=90)
    assert proc.returncode == 143, err
    assert "run the same `vaelab sweep` command again" in err and "Traceback" not in err
    deadline = time.monotonic() + 10  # the workers have stopped; the resource tracker follows its parent out
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(workers) >= 2 and not [pid for pid in workers if alive(pid)]
    summaries = [json.loads((runs / f"seed-{s}" / "summary.json").read_text()) for s in (0, 1)]
    assert [s["status"] for s in summaries] == ["interrupted"] * 2
    done = [s["epochs_completed"] for s in summaries]
    assert all(0 < d < 60 for d in done)
    with open(tmp_path / "out" / "results.csv") as fh:
        assert [r["status"] for r in csv.DictReader(fh)] == ["interrupted"] * 2

    proc = _sweep(tmp_path)  # the same command again: both trials continue from their checkpoints
    _, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err
    for s, before in zip((0, 1), done):
        epochs = [json.loads(line)["epoch"] for line in (runs / f"seed-{s}" / "metrics.jsonl").read_text().splitlines()]
        assert epochs == list(range(1, 61))  # nothing trained twice, nothing lost
        assert json.loads((runs / f"seed-{s}" / "summary.json").read_text())["status"] == "completed"


def test_a_stopped_worker_starts_no_queued_trial(tmp_path):
    """One worker, three trials: the executor hands the worker seed-1 before seed-0 ends; after SIGTERM it must
    not start it (it would run with SIGTERM ignored until the grace period killed it mid-epoch)."""
    (tmp_path / "s.yaml").write_text(yaml.safe_dump({**SWEEP, "seeds": 3}))
    cmd = [sys.executable, "-m", "vaelab", "sweep", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "out"),
           "--workers", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    runs = tmp_path / "out" / "runs"
    deadline = time.monotonic() + 120
    while not _checkpointed(runs / "seed-0"):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    start = time.monotonic()
    _, err = proc.communicate(timeout=90)
    assert proc.returncode == 143, err
    assert time.monotonic() - start < 40  # not the 60 s grace period
    assert json.loads((runs / "seed-0" / "summary.json").read_text())["status"] == "interrupted"
    assert not (runs / "seed-1").exists() and not (runs / "seed-2").exists()
