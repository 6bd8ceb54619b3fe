"""The benchmark scripts still run end to end (on tiny synthetic data; their timings are not checked here)."""

import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _bench(script: str, *args, tmp_path: Path) -> dict:
    out = tmp_path / "result.json"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    r = subprocess.run([sys.executable, str(BENCH / script), *args, "--threads", "1", "--out", str(out)],
                       capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(out.read_text())


def test_ensemble_scaling_times_every_size_and_relates_the_largest_to_one(tmp_path):
    res = _bench("ensemble_scaling.py", "--synthetic", "--members", "1", "2", "--limit", "600", "--rounds", "1",
                 "--epochs", "2", tmp_path=tmp_path)
    times = res["seconds_per_epoch_ensemble"]
    assert set(times) == {"1", "2"} and all(t > 0 for t in times.values())
    assert res["k_max_over_k1"] == times["2"] / times["1"]
    assert res["per_k"]["2"]["members"] == 2 and res["device"] == "cpu"


def test_train_speed_reports_its_ratio_to_the_gemm_floor(tmp_path):
    res = _bench("train_speed.py", "--synthetic", "--rounds", "1", tmp_path=tmp_path)
    assert res["ratio_to_floor"] == res["ratio_to_floor_all"][0] > 0
    assert res["steps_per_epoch"] == 500 and res["gemm_floor_seconds"] > 0
