"""``build_report(run_dirs, out)``: one self-contained HTML page comparing run directories.

The page needs no other file and makes no request: figures are embedded as base64
``data:`` URIs, the CSS is inline, there is no script and no web font, and a
Content-Security-Policy forbids anything else (``default-src 'none'``).
"""

from __future__ import annotations

import os
import warnings
from datetime import datetime
from pathlib import Path

from vaelab.errors import VaelabError
from vaelab.rundir.layout import owning_run
from vaelab.tracking.attach import attach_files
from vaelab.fileio import atomic_write_text, out_file
from vaelab.report.html import Markup, el, join, void
from vaelab.report.load import RunData, load_run_dir, unique_names
from vaelab.report.sections import config_section, diagnostics_section, figures_section, runs_section
from vaelab.report.sections.sweep import sweep_section
from vaelab.report.sections.reproduction import is_reproduction_dir, load_reproduction, reproduction_section
from vaelab.report.sweep_data import SweepData, is_sweep_dir, load_sweep_dir
from vaelab.version import __version__

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

CSS = """
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --zebra: #f6f8fa;
  --accent: #0969da; --best: #dafbe1; --best-fg: #116329; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff; line-height: 1.5; font-size: 15px;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans",
    "Liberation Sans", sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 1.5rem 1.5rem 4rem; }
header.top { border-bottom: 1px solid var(--line); margin-bottom: 1rem; }
h1 { font-size: 1.7rem; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; margin: 2.2rem 0 .6rem; padding-bottom: .25rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.6rem 0 .4rem; }
.meta { color: var(--muted); margin: 0 0 .6rem; font-size: .9rem; }
nav.toc, nav.figtoc { display: flex; flex-wrap: wrap; gap: .3rem 1rem; margin: .4rem 0 1rem; font-size: .9rem; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
  font-size: .85em; }
code { background: var(--zebra); padding: .1em .3em; border-radius: 4px; }
pre { background: var(--zebra); border: 1px solid var(--line); border-radius: 6px; padding: .8rem; overflow: auto;
  max-height: 32rem; }
.note, .caption { color: var(--muted); font-size: .9rem; margin: .2rem 0 .6rem; }
ul.notes { margin: .4rem 0 .8rem; padding-left: 1.2rem; color: #7d4e00; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: .4rem 0 1rem; font-size: .9rem; }
caption { text-align: left; padding: 0 0 .3rem; color: var(--muted); }
th, td { padding: .35rem .7rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid var(--line); background: #fff; white-space: nowrap; }
tbody tr:nth-child(even) { background: var(--zebra); }
tbody th { font-weight: 600; }
td.num, table.diag td { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.diag thead th, table.config thead th, table.featnet thead th { white-space: normal; overflow-wrap: anywhere;
  min-width: 7rem; max-width: 18rem; }
table.runs tbody th { overflow-wrap: anywhere; min-width: 9rem; max-width: 22rem; }
table.diag tbody th[title] { cursor: help; text-decoration: underline dotted var(--muted); text-underline-offset: 3px; }
table.diag tr.info th, table.diag tr.info td { color: var(--muted); font-weight: normal; }
table.config td { overflow-wrap: anywhere; }
td.absent { color: var(--muted); }
td.best { background: var(--best); }
tr.best-row th, tr.best-row td { background: var(--best); }
table.sweep tbody th { white-space: nowrap; }
table.diag td.text { text-align: left; white-space: normal; min-width: 6rem; }
.badge-best { display: inline-block; margin-left: .4rem; padding: 0 .4rem; border-radius: 999px; font-size: .72rem;
  font-weight: 600; color: #fff; background: var(--best-fg); vertical-align: 1px; }
.dir { color: var(--muted); margin-left: .3rem; font-weight: normal; }
.badge-ok, .badge-bad, .badge-na { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: .78rem;
  font-weight: 600; }
.badge-ok { background: #dafbe1; color: #116329; }
.badge-bad { background: #ffebe9; color: #a40e26; }
.badge-na { background: #eaeef2; color: #57606a; }
table.reproduction td.paper { color: var(--muted); }
ul.claims li { margin: .35rem 0; }
.sub { color: var(--muted); font-size: .8em; margin-left: .4rem; }
.status { display: inline-block; padding: 0 .5rem; border-radius: 999px; font-size: .8rem; font-weight: 600; }
.status-ok { background: #dafbe1; color: #116329; }
.status-bad { background: #ffebe9; color: #a40e26; }
.status-warn { background: #fff8c5; color: #7d4e00; }
.status-info { background: #ddf4ff; color: #0a3069; }
details { margin: .4rem 0; }
details > summary { cursor: pointer; color: var(--accent); }
details.glossary dl { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; font-size: .88rem; }
details.glossary dt { font-weight: 600; }
details.glossary dd { margin: 0; color: var(--muted); }
.cards { display: flex; flex-wrap: wrap; gap: 1.2rem; align-items: flex-start; }
.card table { margin: 0; }
section.figure-kind { margin-top: 1.4rem; }
section.figure-kind h3 { margin-bottom: 0; }
.figrow { display: grid; grid-template-columns: repeat(var(--cols), minmax(300px, 1fr)); gap: 1rem;
  overflow-x: auto; align-items: start;
  /* wider than the text column on wide screens, centred on it, so compared figures stay legible */
  width: min(96vw, var(--cols) * 720px); margin-left: calc(50% - min(48vw, var(--cols) * 360px)); }
figure { margin: .3rem 0 0; min-width: 0; }
.figrow figure, .figsingle figure { border: 1px solid var(--line); border-radius: 6px; padding: .5rem;
  background: #fff; }
.figsingle figure { display: inline-block; max-width: 100%; }
.figrow figure.absent { border-style: dashed; background: var(--zebra); }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption { text-align: center; font-size: .85rem; color: var(--muted); margin-top: .3rem; overflow-wrap: anywhere; }
p.missing { color: var(--muted); font-style: italic; text-align: center; margin: 1.5rem 0; }
footer { margin-top: 3rem; color: var(--muted); font-size: .8rem; }
@media (max-width: 1250px) { .figrow { width: auto; margin-left: 0; } }
@media print { details { display: block; } .figrow { overflow: visible; width: auto; margin-left: 0; } }
"""


def render_report(runs: list[RunData], title: str | None = None, generated: datetime | None = None,
                  sweeps: list[SweepData] = (), studies: list[dict] = ()) -> str:
    """The report's HTML for already loaded runs (``build_report`` loads them and writes the file).

    Each of ``studies`` (``vaelab reproduce`` records) comes first: measured and published
    numbers side by side and the claims. Each of ``sweeps`` gets a section before the runs:
    its results table and figure.
    """
    generated = generated or datetime.now().astimezone()
    if sweeps and not title:
        title = "vaelab report: sweep " + ", ".join(s.path.name for s in sweeps)
    title = title or ("vaelab report: " + ", ".join(r.name for r in runs) if len(runs) <= 4
                      else f"vaelab report: {len(runs)} runs")
    anchors = [f"sweep-{i}" if i else "sweep" for i in range(len(sweeps))]
    study_anchors = [f"study-{i}" for i in range(len(studies))]
    head = join([
        void("meta", charset="utf-8"),
        void("meta", http_equiv="Content-Security-Policy", content=CSP),
        void("meta", name="viewport", content="width=device-width, initial-scale=1"),
        void("meta", name="generator", content=f"vaelab {__version__}"),
        void("link", rel="icon", href="data:,"),
        el("title", title),
        el("style", Markup(CSS)),
    ])
    toc = el("nav", join(el("a", text, href=f"#{anchor}") for anchor, text in
                         [*((a, f"Study {r.get('study')}") for a, r in zip(study_anchors, studies)),
                          *((a, f"Sweep {s.path.name}") for a, s in zip(anchors, sweeps)), ("runs", "Runs"), ("config", "Configuration"), ("diagnostics", "Diagnostics"),
                          ("figures", "Figures")]), class_="toc")
    top = el("header", el("h1", title),
             el("p", f"Generated {generated.isoformat(timespec='seconds')} by vaelab {__version__} "
                     f"\u00b7 {len(runs)} run{'s' if len(runs) != 1 else ''}", class_="meta"),
             toc, class_="top")
    body = el("main", top, join(reproduction_section(r, a) for r, a in zip(studies, study_anchors)),
              join(sweep_section(s, a) for s, a in zip(sweeps, anchors)), runs_section(runs), config_section(runs), diagnostics_section(runs),
              figures_section(runs),
              el("footer", "Self-contained page: figures are embedded, nothing is loaded from elsewhere."))
    return "<!DOCTYPE html>\n" + el("html", el("head", head), el("body", body), lang="en") + "\n"


def build_report(run_dirs, out, *, title: str | None = None) -> Path:
    """Write one self-contained HTML report comparing ``run_dirs`` to ``out``; return its path.

    ``run_dirs``: one path or a sequence of paths, each a run directory (it must hold
    ``config.yaml``; ``summary.json``, ``diagnostics.json`` and ``plots/*.png`` are used
    when present; one that cannot be read is noted on the page and warned about) or a
    sweep directory (``vaelab sweep``: its results table with the varied keys as columns,
    its figure, then its trials as runs). ``out``:
    the HTML file to write (parent folders are created, a symbolic link is followed); an
    existing directory gets ``report.html`` inside it. The file is written atomically.
    Raises :class:`~vaelab.errors.CheckpointError` for a path that is not a run directory
    and :class:`~vaelab.errors.VaelabError` when no run is given.
    """
    if isinstance(run_dirs, (str, os.PathLike)):
        run_dirs = [run_dirs]
    paths = [Path(p).expanduser() for p in run_dirs]
    if not paths:
        raise VaelabError("no run directories given; pass one or more run directories written by `vaelab train`")
    studies = [load_reproduction(p) for p in paths if is_reproduction_dir(p)]
    paths = [q for p in paths for q in ([Path(p) / part for part in load_reproduction(p).get("parts", [])
                                         if is_sweep_dir(Path(p) / part)] if is_reproduction_dir(p) else [p])]
    sweeps = [load_sweep_dir(p) for p in paths if is_sweep_dir(p)]
    paths = [r for p in paths for r in (next(s for s in sweeps if s.path == p).runs if is_sweep_dir(p) else [p])]
    if not paths:
        raise VaelabError(f"the sweep {sweeps[0].path} has no trial run directory yet; run `vaelab sweep` first")
    names = unique_names(paths)
    runs = [load_run_dir(p, name=n) for p, n in zip(paths, names)]
    for problem in (p for r in [*sweeps, *runs] for p in r.problems):  # on the page too, but nothing left out silently
        warnings.warn(problem, stacklevel=2)
    out = Path(out).expanduser()
    if out.is_dir():
        out = out / "report.html"
    out = out_file(out)
    check_not_a_run_file(out)
    atomic_write_text(out, render_report(runs, title=title, sweeps=sweeps, studies=studies))
    for path in paths:  # a run trained with train.loggers: mlflow gets the page as an artifact
        attach_files(path, [out], "report")
    return out


def check_not_a_run_file(out: Path) -> None:
    """Refuse to overwrite a file of a run directory (config.yaml, metrics.jsonl, ...), except an earlier report."""
    if not out.exists():
        return
    inside = owning_run(out.parent)
    if inside is None:
        return
    with open(out, "rb") as fh:
        head = fh.read(4096)
    if b'name="generator" content="vaelab' not in head:
        raise VaelabError(f"--out {out} would overwrite a file of the run directory {inside}; write the report "
                          "elsewhere, e.g. --out report.html")
