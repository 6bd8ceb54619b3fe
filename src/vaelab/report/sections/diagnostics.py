"""The diagnostics section: one row per catalogue metric, one column per run, the best value marked.

FD rows mark a best value only between runs scored with the same feature net, split and
data (:mod:`vaelab.report.sections.fd_compare`); otherwise a note under the table says why.

Rows, labels, directions, formats and the glossary come from
:mod:`vaelab.diagnostics.catalogue`; this module only lays them out.
"""

from __future__ import annotations

import math
import shlex

from vaelab.diagnostics.catalogue import FD_NOTE, MISSING, Metric, context_text, format_value, lookup, rows, skip_reason
from vaelab.report.html import Markup, el, esc, is_number, join, table
from vaelab.report.load import RunData
from vaelab.report.sections.details import bubbles_tables, feature_net_table, skipped_list
from vaelab.report.sections.fd_compare import fd_mismatch

_ARROWS = {"lower": ("\u2193", "lower is better"), "higher": ("\u2191", "higher is better")}


def best_indices(values: list, direction: str | None) -> set[int]:
    """Indices of the best values: min for ``"lower"``, max for ``"higher"``, none for ``None``.

    Only finite numbers count; nothing is marked unless at least two runs have one, or
    when all of them are equal (no run is better then).
    """
    if direction not in ("lower", "higher"):
        return set()
    finite = [(i, float(v)) for i, v in enumerate(values) if is_number(v) and math.isfinite(v)]
    if len(finite) < 2:
        return set()
    target = (min if direction == "lower" else max)(v for _, v in finite)
    best = {i for i, v in finite if v == target}
    return set() if len(best) == len(finite) else best


def _cell_text(m: Metric, diag: dict | None) -> Markup:
    """The catalogue's text of the value, with its context (``K=1000``) in small type."""
    text = format_value(m, diag) if diag else None
    if text is None:
        return esc(MISSING)
    context = context_text(m, diag)
    return join([text, el("span", context, class_="sub") if context else ""])


def _cell(m: Metric, diag: dict | None, value, best: bool) -> tuple:
    text = _cell_text(m, diag)
    if best:
        badge = el("span", "best", class_="badge-best", title=f"best of these runs ({_ARROWS[m.direction][1]})")
        return join([el("strong", text), badge]), {"class": "num best"}
    if value is None and skip_reason(diag, m.key) is not None:
        return el("span", "skipped", title=skip_reason(diag, m.key)), {"class": "num absent"}
    if value is None:
        return text, {"class": "num absent"}
    return text, {"class": "num" if is_number(value) else "txt"}


def _fd_best(m: Metric, runs: list[RunData], values: list, best: set[int]) -> tuple[set[int], str | None]:
    """``best``, or none with the reason when an FD row's runs differ in feature net, split or data."""
    if not best or not m.key.startswith("fd."):
        return best, None
    ranked = [r for r, v in zip(runs, values) if is_number(v) and math.isfinite(v)]
    why = fd_mismatch(ranked)
    return (set(), why) if why else (best, None)


def _row(m: Metric, runs: list[RunData]) -> tuple[list, str | None]:
    """The row's cells, and why no best value is marked when an FD row cannot rank its runs."""
    diags = [r.diagnostics for r in runs]
    values = [lookup(d, m.key) if d else None for d in diags]
    best, why = _fd_best(m, runs, values, best_indices(values, m.direction))
    arrow = _ARROWS.get(m.direction)
    label = join([m.heading, el("span", arrow[0], class_="dir", title=arrow[1]) if arrow else ""])
    cells = [_cell(m, d, v, i in best) for i, (d, v) in enumerate(zip(diags, values))]
    return [(label, {"title": m.glossary})] + cells, why


def _fd_note(reasons: list[str | None]) -> Markup:
    """The note under the table when FD rows mark no best value, with each reason once."""
    unique = list(dict.fromkeys(r for r in reasons if r))
    if not unique:
        return Markup("")
    return el("p", "FD rows: no best value is marked, because " + "; ".join(unique) + ". FD values are comparable "
                   "only between runs scored with the same feature net (hash), split and data.", class_="note fd-note")


def _glossary(shown: list[Metric]) -> Markup:
    return el("details", el("summary", "Glossary"),
              el("dl", join(join([el("dt", m.label), el("dd", m.glossary)]) for m in shown)),
              el("p", FD_NOTE, class_="note") if any(m.key.startswith("fd.") for m in shown) else "",
              class_="glossary")


def _diag_note(run: RunData) -> Markup:
    cmd = f"vaelab evaluate {shlex.quote(str(run.path))}"
    return el("li", el("strong", run.name), ": no diagnostics.json \u2014 run ", el("code", cmd), ".")


def diagnostics_section(runs: list[RunData]) -> Markup:
    """Scalar diagnostics with one column per run and the best value marked; then feature net, skipped, bubbles."""
    parts = [el("h2", "Diagnostics", id="diagnostics")]
    diags = [r.diagnostics for r in runs]
    missing = [r for r in runs if r.diagnostics is None]
    if missing:
        parts.append(el("ul", join(_diag_note(r) for r in missing), class_="notes"))
    if all(d is None for d in diags):
        return join(parts)
    shown = rows(diags)
    attrs = [{"class": "info" if m.role == "info" else None, "data_key": m.key} for m in shown]
    parts.append(el("p", "Nats are per example. \u2193 lower is better, \u2191 higher is better; rows without an "
                         "arrow are neutral. Hover a row name for its definition.", class_="note"))
    built = [_row(m, runs) for m in shown]
    parts.append(el("div", table(["metric"] + [r.name for r in runs], [cells for cells, _ in built], class_="diag",
                                 row_attrs=attrs), class_="scroll"))
    parts.append(_fd_note([why for _, why in built]))
    parts.append(_glossary([m for m in shown if m.role == "metric"]))
    parts += [feature_net_table(runs), skipped_list(runs), bubbles_tables(runs)]
    return join(parts)
