"""A reproduce study's section: measured and published numbers side by side, the claims decided, its figures."""

from __future__ import annotations

import json
from pathlib import Path

from vaelab.errors import CheckpointError
from vaelab.report.html import Markup, el, join, png_data_uri, table, void
from vaelab.rundir.layout import REPRODUCTION

#: a claim's verdict as shown, with its badge class
VERDICT = {True: ("held", "badge-ok"), False: ("not held", "badge-bad"), None: ("not measured", "badge-na")}


def is_reproduction_dir(path) -> bool:
    return (Path(path).expanduser() / REPRODUCTION).is_file()


def load_reproduction(path) -> dict:
    """The study's ``reproduction.json``; CheckpointError when it cannot be read."""
    file = Path(path).expanduser() / REPRODUCTION
    try:
        rec = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise CheckpointError(f"{file} could not be read ({err}); run `vaelab reproduce` again to rewrite it") from None
    if not isinstance(rec, dict) or not isinstance(rec.get("rows"), list):
        raise CheckpointError(f"{file} is not a study record; run `vaelab reproduce` again to rewrite it")
    rec["_path"] = str(Path(path).expanduser())
    return rec


def _number(value, digits: int) -> str:
    return "—" if not isinstance(value, (int, float)) else f"{float(value):.{digits}f}"


def _table(rec: dict) -> Markup:
    cols = rec.get("columns", [])
    published = any(r.get("published") for r in rec["rows"])
    header = ["row"] + [h for c in cols for h in ([c["header"], f"{c['header']} (paper)"] if published
                                                   else [c["header"]])] + ["differs from the paper"]
    body = []
    for r in rec["rows"]:
        cells = [el("code", r["arm"])]
        for c in cols:
            sd = (r.get("sd") or {}).get(c["key"])
            text = _number(r["measured"].get(c["key"]), c["digits"]) + (f" ± {sd:.{c['digits']}f}" if sd else "")
            cells.append((text, {"class": "num"}))
            if published:
                cells.append((_number(r["published"].get(c["key"]), c["digits"]), {"class": "num paper"}))
        cells.append((r.get("differs") or "", {"class": "text"}))
        body.append(cells)
    return el("div", table(header, body, class_="diag reproduction"), class_="scroll")


def _claims(rec: dict) -> Markup:
    items = []
    for c in rec.get("claims", []):
        label, cls = VERDICT[c.get("held")]
        paper = c.get("published_held")
        on_paper = (Markup("") if paper is None else
                    el("span", f" (on the paper's numbers: {VERDICT[paper][0]})", class_="note"))
        items.append(el("li", el("span", label, class_=cls), " ", c["claim"], on_paper, void("br"),
                        el("span", c.get("evidence", ""), class_="note")))
    return el("ul", join(items), class_="claims")


def reproduction_section(rec: dict, anchor: str = "reproduction") -> Markup:
    """The study's heading, setting and command, the side-by-side table, the claims and the study's figures."""
    folder = Path(rec["_path"])
    parts = [el("h2", f"{rec.get('title', rec.get('study'))} (budget {rec.get('budget')})", id=anchor),
             el("p", f"Source: {rec.get('source', '')}. {rec.get('setting', '')}", class_="note"),
             el("p", el("code", rec.get("command", "")), f" · {rec.get('machine', '')} · {rec.get('date', '')}",
                class_="note")]
    if rec.get("published_source"):
        parts.append(el("p", f"Published: {rec['published_source']}", class_="note"))
    parts.append(_table(rec))
    if rec.get("claims"):
        parts += [el("h3", "Claims, decided by computed tests"), _claims(rec)]
    if rec.get("missing"):
        parts.append(el("p", "Not in the table: " + "; ".join(rec["missing"]), class_="note"))
    for fig in rec.get("figures", []):
        path = folder / fig
        if path.is_file():
            parts.append(el("div", el("figure", void("img", src=png_data_uri(path.read_bytes()), alt=fig),
                                      el("figcaption", fig)), class_="figsingle"))
    return join(parts)
