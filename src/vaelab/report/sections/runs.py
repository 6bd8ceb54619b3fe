"""The runs section: one row per run with its model, data, epochs, status, final -ELBO, time and device."""

from __future__ import annotations

import math

from vaelab.report.html import MISSING, Markup, el, esc, fmt_number, is_number, join, table
from vaelab.report.load import RunData


def _fmt_seconds(s) -> str:
    if not is_number(s) or not math.isfinite(s):
        return MISSING
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60):02d} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"


def status_badge(status) -> Markup:
    if status is None:
        return esc(MISSING)
    kind = {"completed": "ok", "diverged": "bad", "failed": "bad", "interrupted": "warn"}.get(str(status), "info")
    return el("span", status, class_=f"status status-{kind}")


def _epochs(r: RunData) -> str:
    s = r.summary or {}
    done, planned = s.get("epochs_completed"), s.get("epochs_planned")
    if done is None and planned is None:
        train = r.config.get("train")
        cfg_epochs = train.get("epochs") if isinstance(train, dict) else None
        return f"{MISSING}/{cfg_epochs}" if cfg_epochs is not None else MISSING
    return f"{fmt_number(done)}/{fmt_number(planned)}"


def _row(r: RunData) -> list:
    s = r.summary or {}
    final = s.get("final") if isinstance(s.get("final"), dict) else {}
    device = s.get("device")
    device_cell = (el("span", device, title=s.get("device_name")) if device and s.get("device_name")
                   else esc(device if device else MISSING))
    return [
        (el("span", r.name, title=str(r.path)), {}),
        r.model_name if r.model_name is not None else MISSING,
        r.dataset if r.dataset is not None else MISSING,
        (_epochs(r), {"class": "num"}),
        status_badge(s.get("status")),
        (fmt_number(final.get("valid_neg_elbo"), 5), {"class": "num"}),
        (_fmt_seconds(s.get("train_time_s")), {"class": "num"}),
        device_cell,
    ]


def runs_section(runs: list[RunData]) -> Markup:
    """The table of runs: name, model, dataset, epochs, status, final valid -ELBO, train time, device."""
    notes = []
    for r in runs:
        if r.summary is None:
            notes.append(el("li", el("strong", r.name), ": no summary.json (training did not finish writing it, "
                                     "or the run was copied without it)."))
        for p in r.problems:
            notes.append(el("li", el("strong", r.name), ": ", p))
    return join([
        el("h2", "Runs", id="runs"),
        el("div", table(["run", "model", "dataset", "epochs", "status", "valid \u2212ELBO", "train time", "device"],
                        [_row(r) for r in runs], class_="runs"), class_="scroll"),
        el("ul", join(notes), class_="notes") if notes else "",
    ])
