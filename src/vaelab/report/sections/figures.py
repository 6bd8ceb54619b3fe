"""The figures section: every PNG of every run, grouped by kind in the order of the plots registry.

Kinds, their order, titles and captions are those of :data:`vaelab.plots.registry.FIGURES`;
a PNG whose stem is a kind or starts with one (``interpolations-origin``) is shown with
that kind, any other PNG after them, alphabetically.
"""

from __future__ import annotations

import shlex
import struct
from pathlib import Path

from vaelab.plots.registry import FIGURES
from vaelab.report.html import Markup, el, join, png_data_uri, void
from vaelab.report.load import RunData


def _norm(stem: str) -> str:
    return stem.lower().replace("_", "-").replace(" ", "-")


def figure_kind(stem: str) -> str | None:
    """The registered figure kind of a PNG stem (``latent_scatter`` and ``interpolations-origin`` match), else None."""
    norm = _norm(stem)
    for kind in FIGURES:
        if norm == kind or norm.startswith(kind + "-"):
            return kind
    return None


def figure_key(stem: str) -> tuple:
    """Sort key: registered kinds in registry order, variants of a kind and unknown figures alphabetically after."""
    kind = figure_kind(stem)
    rank = list(FIGURES).index(kind) if kind else len(FIGURES)
    return (rank, _norm(stem))


def figure_title(stem: str) -> str:
    """The registry's title of the stem's kind (with the variant after a dash); an unknown stem, capitalised."""
    kind = figure_kind(stem)
    norm = _norm(stem)
    if kind is None:
        return norm.replace("-", " ").capitalize()
    if norm != kind:
        return f"{FIGURES[kind].title} \u2014 {norm[len(kind) + 1:].replace('-', ' ')}"
    return FIGURES[kind].title


def figure_caption(stem: str) -> str:
    kind = figure_kind(stem)
    return FIGURES[kind].caption if kind else f"{stem}.png from the run's plots folder."


def _png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR chunk, or None when ``data`` is not a PNG."""
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def _image(path: Path, alt: str) -> Markup:
    try:
        data = path.read_bytes()
    except OSError as err:
        return el("p", f"{path.name} could not be read ({err}).", class_="missing")
    size = _png_size(data)
    if size is None:
        return el("p", f"{path.name} is not a PNG file; redraw it with `vaelab plot`.", class_="missing")
    return void("img", src=png_data_uri(data), alt=alt, width=size[0], height=size[1], loading="eager")


def _plot_note(run: RunData) -> Markup:
    cmd = f"vaelab plot {shlex.quote(str(run.path))}"
    return el("li", el("strong", run.name), ": no plots \u2014 run ", el("code", cmd), ".")


def _figure_row(key: str, stem: str, runs: list[RunData], by_run: list[dict], label: bool) -> Markup:
    """One kind: its title, caption and one figure per run (a dashed placeholder where a run lacks it)."""
    title = figure_title(stem)
    cells = []
    for r, plots in zip(runs, by_run):
        if key in plots:
            content, cls = _image(plots[key], f"{title}, {r.name}"), None
        else:
            content, cls = el("p", f"no {stem}.png in this run", class_="missing"), "absent"
        cells.append(el("figure", content, el("figcaption", r.name) if label else "", class_=cls))
    multi = len(runs) > 1
    grid = el("div", join(cells), class_="figrow" if multi else "figsingle",
              style=f"--cols: {len(runs)}" if multi else None)
    return el("section", el("h3", title), el("p", figure_caption(stem), class_="caption"), grid,
              class_="figure-kind", id=f"fig-{key}")


def figures_section(runs: list[RunData]) -> Markup:
    """Every PNG of every run, in registry order; with several runs one grid row per figure, one column per run."""
    parts = [el("h2", "Figures", id="figures")]
    missing = [r for r in runs if not r.plots]
    if missing:
        parts.append(el("ul", join(_plot_note(r) for r in missing), class_="notes"))
    label = len(runs) > 1  # name the run under each figure whenever the report has several
    runs = [r for r in runs if r.plots]  # runs without plots get the note above, not a column of blanks
    by_run = [{_norm(p.stem): p for p in r.plots} for r in runs]
    stems: dict[str, str] = {}
    for r in runs:
        for p in r.plots:
            stems.setdefault(_norm(p.stem), p.stem)
    if not stems:
        return join(parts)
    ordered = sorted(stems, key=figure_key)
    parts.append(el("nav", join(el("a", figure_title(stems[k]), href=f"#fig-{k}") for k in ordered), class_="figtoc"))
    parts.extend(_figure_row(key, stems[key], runs, by_run, label) for key in ordered)
    return join(parts)
