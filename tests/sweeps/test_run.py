"""A local sweep end to end: trials in a process pool, results.csv, skip on re-run, a failing trial recorded."""

import csv

from vaelab.sweeps.pool import threads_per_trial
from vaelab.sweeps.run import run_sweep

BASE = {"data": {"name": "synthetic", "options": {"n": 300, "dim": 16}},
        "model": {"hidden": [16], "latent_dim": 2}, "train": {"epochs": 2, "batch_size": 50, "progress": False}}


def test_threads_per_trial_never_oversubscribes():
    assert threads_per_trial(2, cores=2) == 1
    assert threads_per_trial(1, cores=8) == 8
    assert threads_per_trial(3, cores=8) == 2
    assert threads_per_trial(16, cores=2) == 1


def test_a_local_sweep_runs_its_trials_records_a_failure_and_skips_finished_ones_on_rerun(tmp_path):
    sweep = {"base": BASE, "grid": {"data.options.n": [300, 2]}}  # n=2 is too small to train: a failing trial
    rows = run_sweep(sweep, tmp_path / "sweep", workers=2)
    by_name = {r["trial"]: r for r in rows}
    assert by_name["n-300"]["status"] == "completed" and by_name["n-300"]["epochs"] == 2
    assert by_name["n-2"]["status"] == "failed" and "too small" in by_name["n-2"]["error"]
    with open(tmp_path / "sweep" / "results.csv") as fh:
        table = list(csv.DictReader(fh))
    assert [r["trial"] for r in table] == ["n-300", "n-2"] and table[0]["data.options.n"] == "300"
    weights = next((tmp_path / "sweep" / "runs" / "n-300" / "checkpoints").glob("epoch_*/model.safetensors"))
    stamp = weights.stat().st_mtime_ns
    run_sweep(sweep, tmp_path / "sweep", workers=2)  # the finished trial is skipped, the failed one tried again
    assert weights.stat().st_mtime_ns == stamp


def test_an_interrupted_trial_is_resumed_from_its_last_checkpoint(tmp_path):
    import json

    sweep = {"base": BASE, "seeds": 1}
    run_sweep({**sweep, "base": {**BASE, "train": {**BASE["train"], "epochs": 1}}}, tmp_path / "s", workers=1)
    summary = tmp_path / "s" / "runs" / "seed-0" / "summary.json"
    summary.write_text(json.dumps({**json.loads(summary.read_text()), "status": "interrupted"}))  # as a kill leaves it
    rows = run_sweep(sweep, tmp_path / "s", workers=1)
    assert rows[0]["status"] == "completed" and rows[0]["epochs"] == 2
    epochs = [json.loads(line)["epoch"] for line in (summary.parent / "metrics.jsonl").read_text().splitlines()]
    assert epochs == [1, 2]  # epoch 1 kept from before, epoch 2 trained on resume


def test_the_sweep_command_runs_a_file_and_a_bad_key_is_one_line(tmp_path, capsys):
    import yaml

    from tests.helpers.badinput import assert_one_clean_line, cli

    (tmp_path / "s.yaml").write_text(yaml.safe_dump({"base": BASE, "grid": {"model.latent_dim": [2, 3]}}))
    code, err = cli(capsys, ["sweep", tmp_path / "s.yaml", "--out", tmp_path / "out", "--workers", "1"])
    assert code == 0, err
    assert (tmp_path / "out" / "results.csv").read_text().count("completed") == 2
    (tmp_path / "bad.yaml").write_text("grid: {model.latnt_dim: [2]}\n")
    code, err = cli(capsys, ["sweep", tmp_path / "bad.yaml", "--out", tmp_path / "bad"])
    assert_one_clean_line(code, err, 2, "sweep trial 'latnt_dim-2': unknown config key 'model.latnt_dim'")
    assert not (tmp_path / "bad").exists()
