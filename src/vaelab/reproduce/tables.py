"""The study's record (``reproduction.json``): measured and published side by side, the claims decided."""

from __future__ import annotations

from vaelab.reproduce.collect import Collected
from vaelab.reproduce.study import Study, check


def arms_of(parts: dict[str, dict]) -> list[str]:
    """The rows of a study's table in order: each part's arms (``<part>/<arm>`` when there are several parts)."""
    return [f"{part}/{arm}" if len(parts) > 1 else arm for part, sweep in parts.items() for arm in sweep.get("arms") or {}]


def side_by_side(study: Study, table: dict, arms: list[str]) -> list[dict]:
    """One row per arm: the measured columns, the published ones (None where the paper has none), what differs."""
    rows = []
    for arm in arms:
        measured = table.get(arm, {})
        published = study.published.get(arm) or study.published.get(arm.split("/")[-1], {})
        rows.append({"arm": arm,
                     "measured": {c.key: measured.get(c.key) for c in study.columns if c.applies(arm)},
                     "sd": {c.key: measured.get(f"{c.key}.sd") for c in study.columns
                            if measured.get(f"{c.key}.sd") is not None},
                     "seeds": int(measured.get("n_seeds", 0)),
                     "published": {c.key: published.get(c.key) for c in study.columns if c.key in published},
                     "differs": study.differs.get(arm) or study.differs.get(arm.split("/")[-1])
                     or study.differs.get("*", "")})
    return rows


def decide_claims(study: Study, table: dict) -> list[dict]:
    """Each claim decided on the measured table, and on the published one where its numbers suffice."""
    out = []
    for claim in study.claims:
        measured = check(table, claim)
        paper = (check(study.published, claim) if study.published and claim.on_paper
                 else {"held": None, "evidence": "no published numbers" if claim.on_paper else "compares with the paper"})
        out.append({**measured, "published_held": paper["held"], "published_evidence": paper["evidence"]})
    return out


def record(study: Study, budget: str, collected: Collected, arms: list[str], *, about: dict, figures: list[str]) -> dict:
    """The whole ``reproduction.json`` mapping of one study run."""
    return {"study": study.name, "title": study.title, "source": study.source, "setting": study.setting,
            "budget": budget, "budget_note": study.budgets[budget].note, **about,
            "columns": [{"key": c.key, "header": c.header, "digits": c.digits, "lower_is_better": c.lower_is_better}
                        for c in study.columns],
            "published_source": study.published_source,
            "parts": list(study.budgets[budget].sweeps),
            "rows": side_by_side(study, collected.table, arms),
            "claims": decide_claims(study, collected.table),
            "table": {arm: {k: v for k, v in sorted(row.items())} for arm, row in collected.table.items()},
            "figures": figures, "missing": collected.missing}
