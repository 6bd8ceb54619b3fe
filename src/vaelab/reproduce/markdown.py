"""A study's record as Markdown: the side-by-side table, the claims, the figures (docs/RESULTS.md is made of these)."""

from __future__ import annotations

MARK = {True: "held", False: "not held", None: "not measured"}


def _cell(value, digits: int, sd=None) -> str:
    if value is None:
        return "—"
    text = f"{float(value):.{digits}f}" if isinstance(value, (int, float)) else str(value)
    return f"{text} ± {sd:.{digits}f}" if sd is not None else text


def table_markdown(rec: dict) -> list[str]:
    """The side-by-side table: per column the measured value then the published one; then what differs."""
    cols = rec["columns"]
    has_published = any(r["published"] for r in rec["rows"])
    head = ["row"]
    for c in cols:
        head += [f"{c['header']}"] + ([f"{c['header']} (paper)"] if has_published else [])
    head.append("differs from the paper")
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
    for r in rec["rows"]:
        cells = [f"`{r['arm']}`"]
        for c in cols:
            cells.append(_cell(r["measured"].get(c["key"]), c["digits"], r.get("sd", {}).get(c["key"])))
            if has_published:
                cells.append(_cell(r["published"].get(c["key"]), c["digits"]))
        cells.append(r.get("differs") or "")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def claims_markdown(rec: dict) -> list[str]:
    """The claims, each with its computed verdict on our numbers and on the paper's."""
    lines = []
    for c in rec["claims"]:
        paper = "" if c.get("published_held") is None else f" (on the paper's numbers: {MARK[c['published_held']]})"
        lines.append(f"- **{MARK[c['held']]}**{paper}: {c['claim']} — {c['evidence']}")
    return lines


def study_markdown(rec: dict, level: int = 2, figure_prefix: str = "") -> str:
    """One study's section: heading, setting, command, machine and time, the table, the claims, the figures."""
    h = "#" * level
    out = [f"{h} {rec['title']} (`{rec['study']}`, budget `{rec['budget']}`)", "",
           f"Source: {rec['source']}.", "", rec["setting"], ""]
    if rec.get("budget_note"):
        out += [f"Budget: {rec['budget_note']}", ""]
    out += ["```", rec.get("command", ""), "```", "",
            f"Measured {rec.get('date', '?')} on {rec.get('machine', '?')}, wall time "
            f"{rec.get('wall_time_min', 0):.1f} min, vaelab {rec.get('vaelab', '?')}.", ""]
    if rec.get("published_source"):
        out += [f"Published: {rec['published_source']}", ""]
    out += table_markdown(rec) + [""]
    if rec["claims"]:
        out += ["Claims, each decided by a computed test on the numbers above:", ""] + claims_markdown(rec) + [""]
    if rec.get("missing"):
        out += ["Not in the table: " + "; ".join(rec["missing"]), ""]
    for fig in rec.get("figures", []):
        out += [f"![{fig}]({figure_prefix}{fig})", ""]
    return "\n".join(out)
