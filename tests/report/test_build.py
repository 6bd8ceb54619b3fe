"""``build_report`` end to end on synthetic run directories (no training)."""

from __future__ import annotations

import base64
import io
import json
import re

import pytest
from PIL import Image

import vaelab
from vaelab.errors import CheckpointError, VaelabError
from vaelab.report import build_report
from tests.helpers.html_rows import diag_rows
from tests.helpers.report_runs import BASE_CONFIG, diagnostics, make_run_dir, png_grid, summary

HOSTILE = "ae <img src=x onerror=alert(1)>"


@pytest.fixture
def page(runs, tmp_path):
    out = build_report(runs, tmp_path / "out" / "report.html")
    return out.read_text(encoding="utf-8")


def test_writes_the_file_atomically_and_returns_its_path(runs, tmp_path):
    out = build_report(runs, tmp_path / "new" / "dir" / "r.html")
    assert out == tmp_path / "new" / "dir" / "r.html" and out.is_file()
    assert [p.name for p in out.parent.iterdir()] == ["r.html"]  # no temporary file left behind
    assert build_report(runs[0], tmp_path / "new") == tmp_path / "new" / "report.html"  # a folder gets report.html


def test_header_lists_the_runs_with_summary_figures(page):
    assert f"vaelab {vaelab.__version__}" in page
    assert re.search(r"Generated \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", page)
    for text in ("binarized-mnist", "30/30", "3/30", "completed", "diverged", "45.8 s", "13 min 32 s", "cuda"):
        assert text in page, text


def test_page_is_self_contained(page, runs):
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)=["']?(https?:|//|file:)""", page)
    assert "@import" not in page and "url(" not in page and "<link rel=\"stylesheet\"" not in page
    srcs = re.findall(r'<img [^>]*src="([^"]*)"', page)
    n_png = sum(len(list((r / "plots").glob("*.png"))) for r in runs if (r / "plots").is_dir())
    assert len(srcs) == n_png == 9
    for src in srcs:
        assert src.startswith("data:image/png;base64,")
        img = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
        assert img.width > 0


def test_best_values_are_marked_by_direction(page):
    rows = diag_rows(page)

    def best(key):
        return [i for i, (cls, _) in enumerate(rows[key]) if "best" in cls]

    assert best("neg_elbo") == [0]  # 95.2 < 103.9
    assert best("iw_nll") == [0]
    assert best("mi") == [1]  # higher is better: 9.4 > 8.9
    assert best("au") == [0]  # 13 > 7 active units
    assert best("kl_minus_mi") == [1]
    assert best("bubbles.evenness_cv") == [0]
    assert best("fd.fd_n") == [1]
    assert best("rec") == [] and best("kl") == []  # neutral
    assert best("reencode_se") == []  # a tie between all runs marks nothing
    assert best("fd.fd_lattice") == []  # only one run has it
    assert "best" in rows["neg_elbo"][0][1]  # the badge text


def test_diagnostics_cells(page):
    rows = diag_rows(page)
    assert rows["au"][0][1].startswith("13/32") and rows["au"][1][1].startswith("7/16")
    assert "91.80 \u00b1 0.21" in rows["iw_nll"][0][1] and "K=1000" in rows["iw_nll"][0][1]
    assert [text for _, text in rows["neg_elbo"]][1:] == ["103.90", "\u2014"]  # the run without diagnostics
    assert rows["split"][0][1] == "test" and rows["n"][0][1] == "10000"
    assert "fd.fd_interp" in rows and "fd.fd_data" in rows and "fd.fd_lattice" in rows
    assert [text for _, text in rows["reencode_lp"]] == ["41.20", "skipped", "\u2014"]  # beta-vae skipped it
    assert 'title="FD (feature net)' in page and "not Inception FID" in page


def test_feature_net_skipped_and_bubbles_are_rendered(page):
    assert "3-layer MLP classifier" in page and "0.9812" in page and "test_accuracy" in page
    featnet = page.split('<table class="featnet">')[1].split("</table>")[0]
    assert "all runs (the same net)" in featnet and featnet.count("0.9812") == 1  # identical nets: one column
    assert "Skipped metrics" in page and "the posterior has no variance" in page
    assert "needs &lt;2 active units&gt; &amp; labels" in page
    assert page.count('<table class="bubbles">') == 2 and "grouped by digit label" in page
    assert "-69.00" in page and "4.900" in page


def test_config_differences_only(page):
    assert "model.latent_dim" in page and "kl_schedule.kind" in page and "model.options.beta" in page
    diff_table = page.split('<table class="config diff">')[1].split("</table>")[0]
    assert "data.name" not in diff_table and "optim.lr" not in diff_table
    assert page.count('<details class="fullconfig">') == 3


def test_hostile_text_is_escaped(page):
    assert "<img src=x" not in page and "<b>value</b>" not in page
    assert "ae &lt;img src=x onerror=alert(1)&gt;" in page
    assert "hostile &lt;b&gt;value&lt;/b&gt; &amp; more" in page


def test_missing_diagnostics_and_plots_get_a_note(page, runs):
    hostile = runs[2]
    assert hostile.name == HOSTILE
    assert "no diagnostics.json" in page and "vaelab evaluate" in page
    assert "no plots" in page and "vaelab plot" in page
    assert page.count("vaelab evaluate") == 1 and page.count("vaelab plot") == 1


def test_figures_grouped_by_kind_in_order_with_one_column_per_run(page):
    ids = re.findall(r'<section class="figure-kind" id="fig-([^"]+)"', page)
    assert ids == ["curves", "activity", "latent-scatter", "reconstructions", "samples", "traversals", "zzz-custom"]
    curves = page.split('id="fig-curves"')[1].split("</section>")[0]
    assert "--cols: 2" in curves and curves.count("<img ") == 2  # two runs have plots; the third has a note
    assert "<figcaption>vae</figcaption>" in curves and "<figcaption>beta-vae</figcaption>" in curves
    activity = page.split('id="fig-activity"')[1].split("</section>")[0]
    assert "no activity.png in this run" in activity
    assert "Training curves" in curves  # a caption per kind


def test_single_run_shows_full_config_folded_and_no_best(tmp_path):
    run = make_run_dir(tmp_path, "only", summary_=summary(), diagnostics_=diagnostics(), plots={"samples": png_grid})
    page = build_report([run], tmp_path / "r.html").read_text()
    assert "nothing to compare" in page and "<details><summary>all " in page
    assert 'class="badge-best"' not in page and 'class="figsingle"' in page
    assert "<figcaption>" not in page


def test_run_with_only_a_config_renders(tmp_path):
    run = make_run_dir(tmp_path, "bare")
    page = build_report([run], tmp_path / "r.html").read_text()
    assert "no summary.json" in page and "vaelab evaluate" in page and "vaelab plot" in page


def test_unreadable_diagnostics_is_a_note_not_a_crash(tmp_path):
    run = make_run_dir(tmp_path, "torn", summary_=summary())
    (run / "diagnostics.json").write_text('{"neg_elbo": 9')
    with pytest.warns(UserWarning, match="diagnostics.json could not be read"):
        page = build_report([run], tmp_path / "r.html").read_text()
    assert "diagnostics.json could not be read" in page and "vaelab evaluate" in page


def test_same_directory_names_are_told_apart(tmp_path):
    a = make_run_dir(tmp_path / "a", "vae", diagnostics_=diagnostics())
    b = make_run_dir(tmp_path / "b", "vae", diagnostics_=diagnostics(neg_elbo=90.0))
    page = build_report([a, b], tmp_path / "r.html").read_text()
    assert "a/vae" in page and "b/vae" in page


def test_not_a_run_directory_is_a_user_error_naming_path_and_fix(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CheckpointError, match=r"empty is not a run directory \(no config.yaml\).*vaelab train"):
        build_report([empty], tmp_path / "r.html")
    with pytest.raises(CheckpointError, match="does not exist"):
        build_report([tmp_path / "nope"], tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


def test_a_folder_of_runs_names_the_runs_inside(tmp_path):
    make_run_dir(tmp_path / "sweep", "vae")
    make_run_dir(tmp_path / "sweep", "beta-vae")
    with pytest.raises(CheckpointError, match=r"holds run directories \(beta-vae, vae\)"):
        build_report([tmp_path / "sweep"], tmp_path / "r.html")


def test_bad_yaml_and_no_runs_are_user_errors(tmp_path):
    run = make_run_dir(tmp_path, "bad")
    (run / "config.yaml").write_text("model: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(CheckpointError, match="could not be read as YAML"):
        build_report([run], tmp_path / "r.html")
    (run / "config.yaml").write_text("- just\n- a list\n")
    with pytest.raises(CheckpointError, match="mapping"):
        build_report([run], tmp_path / "r.html")
    with pytest.raises(VaelabError, match="no run directories"):
        build_report([], tmp_path / "r.html")


def test_a_png_that_is_not_a_png_is_reported_not_embedded(tmp_path):
    run = make_run_dir(tmp_path, "r", plots={"samples": png_grid})
    (run / "plots" / "curves.png").write_text("not a png")
    page = build_report([run], tmp_path / "r.html").read_text()
    assert "curves.png is not a PNG file" in page and page.count("<img ") == 1


def test_config_is_read_safely_from_the_file(tmp_path):
    run = make_run_dir(tmp_path, "r", config={**BASE_CONFIG, "extra": {"k": "<v>"}})
    page = build_report([run], tmp_path / "r.html").read_text()
    assert "extra.k" in page and "&lt;v&gt;" in page
    assert json.loads(json.dumps(BASE_CONFIG))  # the fixture stays plain data


def test_different_feature_nets_get_a_column_each(tmp_path):
    a, b = diagnostics(), diagnostics()
    b["fd"]["feature_net"] = {**b["fd"]["feature_net"], "test_accuracy": 0.75}
    runs = [make_run_dir(tmp_path, "a", diagnostics_=a), make_run_dir(tmp_path, "b", diagnostics_=b)]
    featnet = build_report(runs, tmp_path / "r.html").read_text().split('<table class="featnet">')[1]
    assert "all runs" not in featnet.split("</table>")[0] and "0.9812" in featnet and "0.7500" in featnet


def test_the_report_never_overwrites_a_file_of_a_run(runs, tmp_path):
    from vaelab.errors import VaelabError

    run = runs[0]
    config = (run / "config.yaml").read_bytes()
    with pytest.raises(VaelabError, match="would overwrite a file of the run directory"):
        build_report([run], run / "config.yaml")
    assert (run / "config.yaml").read_bytes() == config
    first = build_report([run], run / "report.html")  # a report inside the run: written, and then replaced
    assert build_report([run], first) == first
