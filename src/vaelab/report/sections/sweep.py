"""The sweep section: results.csv as a table with the varied keys as columns, the best trial marked, and sweep.png."""

from __future__ import annotations

from vaelab.report.html import Markup, el, fmt_number, is_number, join, png_data_uri, table, void
from vaelab.report.sections.runs import status_badge
from vaelab.report.sweep_data import SweepData

#: the columns whose lowest value marks the best trial, the first present is used
BEST_BY = ("test_iw_nll", "valid_neg_elbo", "best_valid_loss")
#: columns of results.csv shown after the varied keys, when present
SHOWN = ("status", "epochs", "best_valid_loss", "valid_neg_elbo", "valid_kl", "valid_au", "test_iw_nll", "test_mi",
         "test_au", "test_fd_rec", "test_fd_n", "wall_time_s", "error")


def best_trial(rows: list[dict]) -> tuple[str | None, str | None]:
    """(trial name, column) of the lowest value of the first :data:`BEST_BY` column any finished trial has."""
    done = [r for r in rows if r.get("status") in ("completed", "early-stopped")]
    for column in BEST_BY:
        scored = [r for r in done if is_number(r.get(column))]
        if scored:
            return min(scored, key=lambda r: r[column]).get("trial"), column
    return None, None


def sweep_section(sweep: SweepData, anchor: str = "sweep") -> Markup:
    """Heading, the results table (one row per trial) and the sweep's figure."""
    rows = sweep.rows
    columns = [c for c in SHOWN if any(r.get(c) is not None for r in rows)]
    best, by = best_trial(rows)
    body = []
    for r in rows:
        name = r.get("trial") or ""
        mark = el("span", "best", class_="badge-best", title=f"lowest {by}") if name == best else Markup("")
        body.append([(join([el("span", name), mark]), {})]
                    + [("—" if r.get(k) is None else str(r.get(k)), {"class": "num"}) for k in sweep.varied]
                    + [_column(r, c) for c in columns])
    parts = [el("h2", f"Sweep {sweep.path.name}", id=anchor),
             el("p", f"{len(rows)} trials varying {', '.join(sweep.varied) or 'nothing'}; folder {sweep.path}",
                class_="note")]
    if sweep.problems:
        parts.append(el("ul", join(el("li", p) for p in sweep.problems), class_="notes"))
    if rows:
        parts.append(el("div", table(["trial", *sweep.varied, *columns], body, class_="diag sweep",
                                     row_attrs=[{"class": "best-row"} if r.get("trial") == best else {}
                                                for r in rows]), class_="scroll"))
    if sweep.figure is not None:
        parts.append(el("div", el("figure", void("img", src=png_data_uri(sweep.figure.read_bytes()),
                                                 alt=f"metrics of sweep {sweep.path.name} against its varied keys"),
                                  el("figcaption", "Each metric against each varied key: mean ± sd over seeds "
                                                   "(thick), one thin line per seed.")), class_="figsingle"))
    return join(parts)


def _column(row: dict, column: str):
    """A cell of a results column: the status as a badge, the error as text, numbers right-aligned."""
    if column == "status":
        return status_badge(row.get(column)), {"class": "text"}
    if column == "error":
        return _cell(row.get(column)), {"class": "text"}
    return _cell(row.get(column)), {"class": "num"}


def _cell(value) -> str:
    if isinstance(value, float):
        return fmt_number(value, 5)
    return "—" if value is None else str(value)
