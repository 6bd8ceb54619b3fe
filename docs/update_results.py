"""Regenerate docs/RESULTS.md from the study records in docs/results/*.json.

    python docs/update_results.py

The records are written by ``vaelab reproduce STUDY --budget B --results-dir docs/results``.
"""

import json
from pathlib import Path

from vaelab.reproduce.markdown import results_document
from vaelab.reproduce.registry import MODULES

DOCS = Path(__file__).resolve().parent


def render() -> str:
    records = [json.loads(p.read_text()) for p in sorted((DOCS / "results").glob("*.json"))]
    return results_document(records, list(MODULES))


if __name__ == "__main__":
    (DOCS / "RESULTS.md").write_text(render())
    print(f"updated {DOCS / 'RESULTS.md'}")
