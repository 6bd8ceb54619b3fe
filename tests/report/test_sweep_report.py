"""``vaelab report SWEEP_DIR``: the results table with the varied keys as columns, the best trial, the figure."""

import re

import pytest

from vaelab.errors import VaelabError
from vaelab.report import build_report
from vaelab.report.sweep_data import load_sweep_dir, parse_cell
from vaelab.sweeps.run import run_sweep

BASE = {"data": {"name": "synthetic", "options": {"n": 300, "dim": 16}},
        "model": {"hidden": [16], "latent_dim": 2}, "train": {"epochs": 2, "batch_size": 50, "progress": False}}


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "betas"
    run_sweep({"base": BASE, "grid": {"kl_schedule.end": [0.5, 1.0], "data.options.n": [300, 2]}}, out, workers=2)
    return out


def test_the_sweep_is_read_with_its_varied_keys_rows_and_runs(sweep_dir):
    sweep = load_sweep_dir(sweep_dir)
    assert sweep.varied == ["kl_schedule.end", "data.options.n"]
    assert [r["status"] for r in sweep.rows] == ["completed", "failed", "completed", "failed"]
    assert [p.name for p in sweep.runs] == ["end-0.5_n-300", "end-1_n-300"]  # failed trials have no run directory
    assert sweep.figure is not None and sweep.rows[0]["kl_schedule.end"] == 0.5


def test_the_report_shows_the_table_marks_the_lowest_elbo_and_embeds_the_figure(sweep_dir, tmp_path):
    html = build_report(sweep_dir, tmp_path / "r.html").read_text()
    assert "<title>vaelab report: sweep betas</title>" in html
    head = re.search(r'<table class="diag sweep">.*?</thead>', html, re.S).group(0)
    assert re.findall(r'<th scope="col">(.*?)</th>', head)[:4] == ["trial", "kl_schedule.end", "data.options.n",
                                                                 "status"]
    sweep = load_sweep_dir(sweep_dir)
    done = [r for r in sweep.rows if r["status"] == "completed"]
    best = min(done, key=lambda r: r["valid_neg_elbo"])["trial"]
    assert re.search(rf'<tr class="best-row"><th scope="row"><span>{best}</span><span class="badge-best"', html)
    assert html.count('class="best-row"') == 1
    assert "too small" in html  # the failed trials' error is shown
    assert "metrics of sweep betas against its varied keys" in html and "data:image/png;base64," in html
    assert html.count("<h2") >= 5 and ">end-1_n-300<" in html  # the trials follow as runs


def test_a_sweep_without_runs_is_one_clear_error(tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "sweep.yaml").write_text("trials: []\n")
    with pytest.raises(VaelabError, match="has no trial run directory yet; run `vaelab sweep` first"):
        build_report(tmp_path / "s", tmp_path / "r.html")


def test_cells_are_read_back_as_the_values_they_were():
    assert [parse_cell(v) for v in ["", "3", "0.5", "nan", "vae", "[200, 200]"]] == [None, 3, 0.5, None, "vae",
                                                                                     "[200, 200]"]
