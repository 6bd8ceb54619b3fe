"""Every study at the smoke budget, end to end: sweep, evaluation, figures, record, report, result file.

The smoke budget trains each row for one epoch on a few hundred examples: the numbers mean
nothing, but every value a claim needs must be measured (no claim left "not measured"), the
side-by-side table must be filled, and a re-run must train nothing again.
"""

import json

import pytest

from vaelab.reproduce.markdown import results_document
from vaelab.reproduce.registry import MODULES
from vaelab.reproduce.runner import reproduce

pytest.importorskip("rdkit", reason="the nevae and molecules studies need the chem extra")


@pytest.fixture(scope="module")
def smoke_records(tmp_path_factory):
    root = tmp_path_factory.mktemp("reproduce")
    return root, {name: reproduce(name, "smoke", root / name, progress=False, results_dir=root / "results")
                  for name in MODULES}


@pytest.mark.parametrize("name", list(MODULES))
def test_smoke_study_measures_every_row_and_decides_every_claim(smoke_records, name):
    root, records = smoke_records
    rec = records[name]
    assert rec["missing"] == [], rec["missing"]
    for row in rec["rows"]:
        empty = [k for k, v in row["measured"].items() if v is None]
        assert not empty, (row["arm"], empty)
    undecided = [c["claim"] for c in rec["claims"] if c["held"] is None]
    assert not undecided, [(c["claim"], c["evidence"]) for c in rec["claims"] if c["held"] is None]
    report = (root / name / "report.html").read_text()
    assert rec["title"] in report and "Claims, decided by computed tests" in report
    saved = json.loads((root / "results" / f"{name}-smoke.json").read_text())
    assert saved["claims"] == rec["claims"]
    for fig in saved["figures"]:
        assert (root / "results" / fig).is_file()
    assert (root / name / "reproduction.md").read_text().startswith(f"# {rec['title']}")


def test_results_document_has_every_study(smoke_records):
    _, records = smoke_records
    text = results_document(list(records.values()), list(MODULES))
    for rec in records.values():
        assert f"(`{rec['study']}`, budget `smoke`)" in text


def test_running_a_study_again_trains_nothing(smoke_records):
    root, records = smoke_records
    before = {p: p.stat().st_mtime_ns for p in (root / "anchors").rglob("checkpoints/*")}
    again = reproduce("anchors", "smoke", root / "anchors", progress=False)
    assert [c["held"] for c in again["claims"]] == [c["held"] for c in records["anchors"]["claims"]]
    assert {p: p.stat().st_mtime_ns for p in (root / "anchors").rglob("checkpoints/*")} == before


def test_record_only_trains_nothing_and_lists_what_is_missing(smoke_records):
    import shutil

    root, records = smoke_records
    partial = root / "bounded-partial"
    shutil.copytree(root / "bounded", partial)
    shutil.rmtree(partial / "mnist" / "runs" / "plain_seed-0")  # as if that row had not run yet
    rec = reproduce("bounded", "smoke", partial, progress=False, record_only=True)
    assert not (partial / "mnist" / "runs" / "plain_seed-0").exists()
    assert rec["missing"] == ["plain_seed-0: not run"]
    assert all(c["held"] is None and "plain" in c["evidence"] for c in rec["claims"][:1])  # it needs the plain row
    assert rec["rows"][0]["arm"] == "plain" and rec["rows"][0]["measured"]["neg_elbo"] is None
