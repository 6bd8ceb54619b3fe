"""What a reproduction study is: a sweep per budget, the columns it measures, the published numbers, the claims.

A :class:`Study` names the paper, the arms (the paper's rows, as named sweep ``arms:``),
the sweep of each budget (``smoke``: a few seconds of tiny data, proving the pipeline;
``short``: a meaningful CPU run; ``full``: the paper's setting), the columns of its
table (each a key of the measured figures), the published numbers of the same rows, and
the paper's qualitative claims. Each :class:`Claim` is a function of a table (arm ->
column -> number) that returns whether the claim holds and the numbers that decide it:
it is applied to the measured table, never typed in by hand, and to the published one
where the paper's numbers are enough to decide it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

#: the budgets every study offers, cheapest first
BUDGETS = ("smoke", "short", "full")

Table = dict[str, dict[str, float]]  # arm -> column -> value


class Missing(LookupError):
    """A claim needs a value the table does not have (an arm not run, a metric not measured)."""


@dataclass(frozen=True)
class Budget:
    """One budget of a study: its sweeps (part name -> sweep mapping), its estimated minutes here, how it differs.

    A study with one setting has one part; one run in two settings (the NE-VAE study: a GRU
    decoder on QM9 and a PixelCNN decoder on MNIST) has a part each. Each part is a sweep
    directory ``OUT/<part>/``; a row of the table is ``<part>/<arm>`` when there are several parts.
    """

    sweeps: dict[str, dict]
    minutes: float
    note: str = ""


@dataclass(frozen=True)
class Column:
    """A column of the study's table: ``key`` in the measured figures, its header, its digits."""

    key: str
    header: str
    digits: int = 2
    lower_is_better: bool | None = None
    rows: tuple[str, ...] | None = None  # the rows it is measured for (``<part>/<arm>``); None: every row

    def applies(self, arm: str) -> bool:
        return self.rows is None or arm in self.rows


@dataclass(frozen=True)
class Claim:
    """A qualitative claim of the paper and the computed test that decides it on a table.

    ``test(table)`` returns (held, evidence): whether the claim holds and a short text with
    the numbers that decided it. It raises :class:`Missing` (via :func:`get`) when a value
    it needs is absent: the claim is then "not measured", never held.
    """

    text: str
    test: Callable[[Table], tuple[bool, str]]
    on_paper: bool = True  # False: the test compares with the paper itself, so it says nothing on the paper's numbers


@dataclass(frozen=True)
class Study:
    """A paper's findings as a runnable study (see the module docstring)."""

    name: str
    title: str
    source: str
    setting: str  # what this study runs, and how it differs from the paper (data, architecture)
    budgets: dict[str, Budget]
    columns: tuple[Column, ...]
    published: Table = field(default_factory=dict)
    published_source: str = ""
    claims: tuple[Claim, ...] = ()
    differs: dict[str, str] = field(default_factory=dict)  # arm (or "*", every arm) -> what differs from the paper
    figures: Callable[[Any, Any], list] | None = None  # (collected, out_dir) -> written figure paths
    extra: Callable[[Any, str], dict] | None = None  # (collected, budget) -> extra measured figures per arm (merged in)
    extra_rows: tuple[str, ...] = ()  # rows made by ``extra`` rather than trained (e.g. a run sampled another way)


def get(table: Table, arm: str, key: str) -> float:
    """``table[arm][key]`` as a float, or :class:`Missing` naming what is absent."""
    value = table.get(arm, {}).get(key)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise Missing(f"{arm}: {key}")
    return float(value)


def check(table: Table, claim: Claim) -> dict:
    """``{"claim", "held", "evidence"}``: held is True, False, or None when a needed value is missing."""
    try:
        held, evidence = claim.test(table)
    except Missing as err:
        return {"claim": claim.text, "held": None, "evidence": f"not measured ({err})"}
    return {"claim": claim.text, "held": bool(held), "evidence": evidence}


def fmt(value: float, digits: int = 2) -> str:
    """A number as it appears in evidence text."""
    return f"{value:.{digits}f}"
