"""FD rows mark a best value only between runs scored with one feature net, split and data; else a note says why."""

from __future__ import annotations

import copy
import html
import re

import pytest

from vaelab.report import build_report
from tests.helpers.html_rows import diag_rows
from tests.helpers.report_runs import BASE_CONFIG, NET_SHA, diagnostics, make_run_dir

FD_ROWS = ("fd.fd_rec", "fd.fd_n", "fd.fd_interp")


def _best(rows, key):
    return [i for i, (cls, _) in enumerate(rows[key]) if "best" in cls]


def _page(tmp_path, a: dict, b: dict, config_b: dict | None = None) -> str:
    runs = [make_run_dir(tmp_path, "a", diagnostics_=a), make_run_dir(tmp_path, "b", config=config_b, diagnostics_=b)]
    return build_report(runs, tmp_path / "r.html").read_text()


def _note(page: str) -> str | None:
    found = re.search(r'<p class="note fd-note">(.*?)</p>', page, re.S)
    return html.unescape(found.group(1)) if found else None


def test_the_same_net_split_and_data_marks_the_best_fd(tmp_path):
    page = _page(tmp_path, diagnostics(fd_rec=3.2, fd_n=21.5), diagnostics(fd_rec=5.1, fd_n=14.2))
    rows = diag_rows(page)
    assert _best(rows, "fd.fd_rec") == [0] and _best(rows, "fd.fd_n") == [1] and _note(page) is None


def _other_net(d: dict) -> dict:
    d["fd"]["feature_net"] = {**d["fd"]["feature_net"], "sha256": "9c1d" + "0" * 60}
    return d


def _other_split(d: dict) -> dict:
    d["n"] = 500
    return d


def _no_hash(d: dict) -> dict:
    del d["fd"]["feature_net"]["sha256"]
    return d


@pytest.mark.parametrize("change, reason", [
    (_other_net, f"different feature nets (a: {NET_SHA[:12]}; b: 9c1d00000000)"),
    (_other_split, "different splits (a: test (n=10000); b: test (n=500))"),
    (_no_hash, "b: diagnostics.json records no feature-net hash (evaluated by an older vaelab); run vaelab "
               "evaluate again to compare"),
])
def test_different_nets_or_splits_mark_no_best_fd_and_say_why(tmp_path, change, reason):
    b = change(diagnostics(neg_elbo=103.9, fd_rec=5.1, fd_n=14.2))
    page = _page(tmp_path, diagnostics(fd_rec=3.2, fd_n=21.5), b)
    rows = diag_rows(page)
    assert all(_best(rows, key) == [] for key in FD_ROWS)
    assert _best(rows, "neg_elbo") == [0]  # the other rows still rank the runs
    note = _note(page)
    assert note is not None and reason in note and "same feature net (hash), split and data" in note


def test_different_data_marks_no_best_fd_and_names_the_setting(tmp_path):
    other = copy.deepcopy(BASE_CONFIG)
    other["data"]["name"], other["data"]["split_seed"] = "mnist5k", 3
    other["data"]["data_dir"] = "/elsewhere"  # where the files are is not the data
    page = _page(tmp_path, diagnostics(), diagnostics(fd_rec=5.1, fd_n=14.2), config_b=other)
    assert all(_best(diag_rows(page), key) == [] for key in FD_ROWS)
    note = _note(page)
    assert 'a: name="binarized-mnist", split_seed=0; b: name="mnist5k", split_seed=3' in note
    assert "data_dir" not in note


def test_feature_net_table_shows_the_hash_origin_and_recipe(tmp_path):
    page = _page(tmp_path, diagnostics(), diagnostics())
    featnet = page.split('<table class="featnet">')[1].split("</table>")[0]
    for text in ("hash", NET_SHA[:12], "origin", "shipped with vaelab", "recipe_version"):
        assert text in featnet, text
