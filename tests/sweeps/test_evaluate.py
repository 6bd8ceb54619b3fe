"""``evaluate:`` in a sweep: diagnostics of every finished trial in results.csv, computed once per checkpoint."""

import csv
import json

import pytest

from vaelab.errors import ConfigError
from vaelab.sweeps.evaluate import evaluate_options, result_columns
from vaelab.sweeps.run import run_sweep

BASE = {"data": {"name": "synthetic", "options": {"n": 300, "dim": 16}},
        "model": {"hidden": [16], "latent_dim": 2}, "train": {"epochs": 2, "batch_size": 50, "progress": False}}


def test_options_are_checked_before_anything_runs(tmp_path):
    assert evaluate_options(True) == {"split": "test"}
    assert evaluate_options(None) is None and evaluate_options(False) is None
    assert evaluate_options({"iw_samples": 0, "split": "valid"}) == {"iw_samples": 0, "split": "valid"}
    for bad, words in [({"iw_sample": 5}, "Did you mean 'iw_samples'"), ({"fd": "yes"}, "true or false"),
                       ({"limit": 0}, ">= 1"), ({"split": "dev"}, "train, valid, test"), ([1], "mapping")]:
        with pytest.raises(ConfigError, match=words):
            evaluate_options(bad)
    with pytest.raises(ConfigError, match="iw_sample"):
        run_sweep({"base": BASE, "evaluate": {"iw_sample": 5}}, tmp_path / "s")
    assert not (tmp_path / "s").exists()


def test_result_columns_flatten_the_numbers_of_a_diagnostics_file():
    diagnostics = {"split": "test", "n": 10, "checkpoint": "epoch_0002", "neg_elbo": 10.5, "au": 2, "mi": 0.3,
                   "kl_per_dim": [0.1, 0.2], "fd": {"feature_net": "x", "fd_rec": 4.0, "fd_n": 9.5},
                   "time_s": 1.0, "bubbles": {"groups": {}}}
    assert result_columns(diagnostics, "test") == {"test_n": 10, "test_neg_elbo": 10.5, "test_au": 2, "test_mi": 0.3,
                                                   "test_fd_rec": 4.0, "test_fd_n": 9.5}


def test_each_finished_trial_is_evaluated_once_and_its_figures_are_columns(tmp_path):
    sweep = {"base": BASE, "grid": {"model.latent_dim": [2, 3]}, "evaluate": {"iw_samples": 8, "fd": False}}
    rows = run_sweep(sweep, tmp_path / "s", workers=2)
    for r in rows:
        diag = json.loads((tmp_path / "s" / "runs" / r["trial"] / "diagnostics.json").read_text())
        assert r["status"] == "completed" and r["test_iw_nll"] == diag["iw_nll"] and r["test_au"] == diag["au"]
        assert diag["iw_samples"] == 8
    with open(tmp_path / "s" / "results.csv") as fh:
        table = list(csv.DictReader(fh))
    assert float(table[1]["test_mi"]) == pytest.approx(rows[1]["test_mi"])
    assert list(table[0])[-1] == "error"
    stamp = (tmp_path / "s" / "runs" / "latent_dim-2" / "diagnostics.json").stat().st_mtime_ns
    rows2 = run_sweep(sweep, tmp_path / "s", workers=2)  # nothing to train nor evaluate: the file is kept
    assert (tmp_path / "s" / "runs" / "latent_dim-2" / "diagnostics.json").stat().st_mtime_ns == stamp
    assert rows2 == rows
    rows3 = run_sweep({**sweep, "evaluate": {"iw_samples": 4, "fd": False}}, tmp_path / "s", workers=2)
    assert (tmp_path / "s" / "runs" / "latent_dim-2" / "diagnostics.json").stat().st_mtime_ns != stamp  # new K
    assert rows3[0]["test_iw_samples"] == 4


def test_a_failing_evaluation_keeps_the_trial_and_says_why(tmp_path):
    sweep = {"base": BASE, "seeds": 1, "evaluate": {"limit": 1, "fd": False, "iw_samples": 2}}  # 1 example: refused
    rows = run_sweep(sweep, tmp_path / "s", workers=1)
    assert rows[0]["status"] == "completed" and rows[0]["error"].startswith("evaluate: ")
    assert "test_iw_nll" not in rows[0]


def test_a_limited_evaluation_of_another_subset_rule_is_done_again(tmp_path):
    """Diagnostics of a split's first N rows (before the seeded subset) do not answer `limit: N`."""
    from vaelab.rundir.run import SUBSET_RULE
    from vaelab.sweeps.evaluate import read_diagnostics

    run = tmp_path / "r"
    run.mkdir()
    (run / "summary.json").write_text(json.dumps({"best": {"checkpoint": "epoch_0002"}}))
    diag = {"split": "test", "n": 100, "checkpoint": "epoch_0002", "iw_samples": 0}
    options = {"split": "test", "limit": 100, "iw_samples": 0, "fd": False}
    (run / "diagnostics.json").write_text(json.dumps(diag))
    assert read_diagnostics(run, options) is None
    (run / "diagnostics.json").write_text(json.dumps({**diag, "subset": SUBSET_RULE}))
    assert read_diagnostics(run, options)["n"] == 100
