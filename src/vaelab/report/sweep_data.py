"""Read a sweep directory for the report: its results table, the keys it varies, its figure and its runs.

``results.csv`` and ``sweep.yaml`` are written by ``vaelab sweep``; a sweep still
running (or one whose results.csv is missing) is reported from the runs it has.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from vaelab.errors import CheckpointError
from vaelab.rundir.layout import RunLayout, SweepLayout


@dataclass
class SweepData:
    """One sweep as the report sees it: rows of results.csv (numbers parsed), the varied keys, its runs."""

    path: Path
    rows: list[dict]
    varied: list[str]
    runs: list[Path]
    figure: Path | None = None
    problems: list[str] = field(default_factory=list)


def is_sweep_dir(path) -> bool:
    return SweepLayout(Path(path).expanduser()).is_sweep()


def load_sweep_dir(path) -> SweepData:
    """Read the sweep at ``path`` (a folder with sweep.yaml); CheckpointError when sweep.yaml is not a mapping."""
    layout = SweepLayout(Path(path).expanduser())
    try:
        spec = yaml.safe_load(layout.spec.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise CheckpointError(f"{layout.spec} could not be read ({' '.join(str(err).split())[:200]}); "
                              "run the sweep again to rewrite it") from None
    if not isinstance(spec, dict):
        raise CheckpointError(f"{layout.spec} does not hold a mapping; run the sweep again to rewrite it")
    trials = [t for t in spec.get("trials") or [] if isinstance(t, dict) and isinstance(t.get("name"), str)]
    varied = list(dict.fromkeys(k for t in trials for k in (t.get("varied") or {})))
    problems: list[str] = []
    rows = _read_rows(layout.results, problems)
    names = [t["name"] for t in trials] or [r.get("trial") for r in rows]
    runs = [layout.run(n) for n in names if n and RunLayout(layout.run(n)).is_run()]
    return SweepData(path=layout.root, rows=rows, varied=varied, runs=runs,
                     figure=layout.figure if layout.figure.is_file() else None, problems=problems)


def _read_rows(path: Path, problems: list[str]) -> list[dict]:
    if not path.is_file():
        problems.append(f"{path} is missing (the sweep has not finished a pass); its table is left out")
        return []
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            return [{k: parse_cell(v) for k, v in r.items() if k is not None} for r in csv.DictReader(fh)]
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        problems.append(f"{path} could not be read ({err}); its table is left out")
        return []


def parse_cell(text):
    """A CSV cell as the value it was: empty -> None, whole numbers -> int, numbers -> float, else the text."""
    if text is None or text == "":
        return None
    for kind in (int, float):
        try:
            value = kind(text)
        except ValueError:
            continue
        return value if kind is int or math.isfinite(value) else None
    return text
