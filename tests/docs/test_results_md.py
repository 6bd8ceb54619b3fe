"""docs/RESULTS.md is generated from docs/results/*.json, and each recorded claim is what its test computes."""

import json
import runpy
from pathlib import Path

import pytest

from vaelab.reproduce.registry import MODULES, get_study
from vaelab.reproduce.study import check

DOCS = Path(__file__).resolve().parents[2] / "docs"
RECORDS = sorted((DOCS / "results").glob("*.json"))


def test_results_page_matches_the_result_files():
    render = runpy.run_path(str(DOCS / "update_results.py"))["render"]
    assert (DOCS / "RESULTS.md").read_text() == render(), \
        "docs/RESULTS.md differs from docs/results/*.json: run python docs/update_results.py"


@pytest.mark.parametrize("path", RECORDS, ids=[p.stem for p in RECORDS])
def test_recorded_verdicts_are_computed_from_the_recorded_numbers(path):
    rec = json.loads(path.read_text())
    assert rec["study"] in MODULES and rec["command"].startswith(f"vaelab reproduce {rec['study']}")
    study = get_study(rec["study"])
    assert [c["claim"] for c in rec["claims"]] == [c.text for c in study.claims]
    for claim, recorded in zip(study.claims, rec["claims"]):
        assert check(rec["table"], claim)["held"] == recorded["held"], claim.text
    for row in rec["rows"]:  # the side-by-side table shows the recorded means
        for key, value in row["measured"].items():
            assert value == rec["table"].get(row["arm"], {}).get(key), (row["arm"], key)
    for fig in rec["figures"]:
        assert (DOCS / "results" / fig).is_file(), fig
