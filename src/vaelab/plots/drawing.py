"""Draw a run's figures from its saved arrays: ``plots/<kind>.png`` for each kind of :data:`FIGURES`."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping, NamedTuple

from vaelab.plots.errors import FigureNotApplicable
from vaelab.plots.inputs import load_input, save_png, scalar_str
from vaelab.plots.registry import FIGURES, figure_options, resolve_kinds
from vaelab.plots.style import DPI
from vaelab.rundir.layout import RunLayout, split_file


class DrawResult(NamedTuple):
    """What :func:`draw` did: ``written`` PNG paths, and ``skipped`` ``(kind, reason)`` pairs."""

    written: list[Path]
    skipped: list[tuple[str, str]]


def _check_options(kinds: list[str], options: dict) -> None:
    accepted = {name for kind in kinds for name in figure_options(kind)} | {"split"}
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(unknown)} for figure(s) {', '.join(kinds)}; "
                         f"valid options: {', '.join(sorted(accepted))}")


def draw(run_dir: str | Path, kinds: str | Iterable[str] | None = None, out_dir: str | Path | None = None,
         dpi: int = DPI, **options) -> DrawResult:
    """Draw ``kinds`` (default: all of :data:`FIGURES`) from ``run_dir``'s saved arrays.

    Each figure is written to ``out_dir/<kind>.png`` (default ``run_dir/plots``) via a
    temporary file. A kind whose input file is missing, or whose data it does not apply
    to (token data, a deterministic encoder, an array the file lacks), is not drawn but
    reported in ``skipped`` as ``(kind, reason)``. ``options`` go to every requested
    kind whose drawing function takes them (see :func:`figure_options`); ``split``
    (default ``test``) also picks ``arrays/posterior_<split>.npz``. Unknown kinds and
    options raise ValueError naming the valid ones.

    Returns ``DrawResult(written, skipped)``, a named tuple of two lists.
    """
    run_dir = Path(run_dir)
    out_dir = RunLayout(run_dir).plots if out_dir is None else Path(out_dir)
    names = resolve_kinds(kinds)
    _check_options(names, options)
    split = options.get("split", "test")
    written: list[Path] = []
    skipped: list[tuple[str, str]] = []
    cache: dict[Path, object] = {}  # the posterior file serves two figures: load it once
    for kind in names:
        spec = FIGURES[kind]
        paths = [run_dir / split_file(rel, split) for rel in spec.inputs]
        missing = [p for p in paths if not p.is_file()]
        if missing:
            skipped.append((kind, "missing " + ", ".join(str(p.relative_to(run_dir)) for p in missing)))
            continue
        inputs = [cache[p] if p in cache else cache.setdefault(p, load_input(p)) for p in paths]
        reason = next((scalar_str(i, "reason") for i in inputs if isinstance(i, Mapping) and "reason" in i), None)
        if reason is not None:  # the builder said why this figure does not apply to the run
            skipped.append((kind, reason))
            continue
        accepted = figure_options(kind)
        try:
            fig = spec.draw(*inputs, **{k: v for k, v in options.items() if k in accepted})
        except FigureNotApplicable as why:
            skipped.append((kind, str(why)))
            continue
        written.append(save_png(fig, out_dir / f"{kind}.png", dpi=dpi))
        fig.clear()
    return DrawResult(written, skipped)
