"""Pieces the studies share: the sweep mapping of a study part, the smoke budget's tiny settings, claim helpers."""

from __future__ import annotations

import copy

from vaelab.reproduce.study import Table, fmt, get

#: every smoke trial: a few hundred training examples, one epoch, no progress bars
SMOKE_TRAIN = {"data.limit": 300, "train.epochs": 1, "train.progress": False}
#: the smoke budget's evaluation: a hundred test examples, a handful of importance samples
SMOKE_EVALUATE = {"split": "test", "limit": 100, "iw_samples": 5}


def sweep_of(base: dict, arms: dict[str, dict], *, seeds=None, evaluate: dict | None = None) -> dict:
    """A sweep mapping: ``base`` (nested config), named ``arms`` (dotted settings), optional seeds and evaluation."""
    out = {"base": copy.deepcopy(base), "arms": copy.deepcopy(arms)}
    if seeds is not None:
        out["seeds"] = seeds
    if evaluate is not None:
        out["evaluate"] = dict(evaluate)
    return out


def smoke(sweep: dict, **dotted) -> dict:
    """``sweep`` made tiny: :data:`SMOKE_TRAIN` and ``dotted`` over its base, :data:`SMOKE_EVALUATE` (keeping its
    fd and samplers)."""
    from vaelab.config.io import set_dotted

    out = copy.deepcopy(sweep)
    for key, value in {**SMOKE_TRAIN, **dotted}.items():
        set_dotted(out["base"], key, value)
    keep = {k: v for k, v in (sweep.get("evaluate") or {}).items() if k in ("fd", "fd_samplers", "molecule_samples")}
    out["evaluate"] = {**SMOKE_EVALUATE, **keep}
    if "seeds" in out and isinstance(out["seeds"], int):
        out["seeds"] = min(out["seeds"], 2)
    return out


def lower(table: Table, a: str, b: str, key: str, digits: int = 2) -> tuple[bool, str]:
    """Whether ``a`` has a lower ``key`` than ``b``, with both values as evidence."""
    va, vb = get(table, a, key), get(table, b, key)
    return va < vb, f"{key}: {a} {fmt(va, digits)} vs {b} {fmt(vb, digits)}"


def clearly_lower(table: Table, a: str, b: str, key: str, digits: int = 2) -> tuple[bool, str]:
    """Whether ``a``'s ``key`` is below ``b``'s by more than the larger seed-to-seed standard deviation of the two
    (plain ``<`` when the arms have one seed each): a difference inside the seeds' noise is not a finding."""
    va, vb = get(table, a, key), get(table, b, key)
    sd = max(table[a].get(f"{key}.sd", 0.0), table[b].get(f"{key}.sd", 0.0))
    noise = f" (seed sd {fmt(sd, digits)})" if sd else ""
    return vb - va > sd, f"{key}: {a} {fmt(va, digits)} vs {b} {fmt(vb, digits)}{noise}"


def spread(table: Table, arms, key: str) -> tuple[float, str]:
    """max - min of ``key`` over ``arms``, and the values as evidence."""
    vals = {a: get(table, a, key) for a in arms}
    text = ", ".join(f"{a} {fmt(v)}" for a, v in vals.items())
    return max(vals.values()) - min(vals.values()), f"{key}: {text}"
