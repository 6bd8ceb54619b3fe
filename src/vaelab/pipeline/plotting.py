"""Figures of a run: build the figure data a figure needs (views), then draw (plots)."""

from __future__ import annotations

from pathlib import Path

from vaelab.errors import ConfigError
from vaelab.plots import FIGURES, draw
from vaelab.plots.registry import resolve_kinds
from vaelab.rundir import RunLayout, load_run
from vaelab.rundir.layout import ARRAYS
from vaelab.views import ensure_arrays


def missing_arrays(run_dir: Path, names, split: str, recompute: bool, view_options: dict) -> list[str]:
    """The figure-data files (``arrays/<name>.npz``) the figures ``names`` need and that must be (re)built."""
    layout = RunLayout(run_dir)
    needed = [Path(rel.format(split=split)).stem for k in names for rel in FIGURES[k].inputs
              if rel.startswith(f"{ARRAYS}/")]
    return [n for n in dict.fromkeys(needed) if recompute or n in view_options or not layout.arrays(n).is_file()]


def plot_run(run_dir, kinds=None, *, recompute: bool = False, checkpoint: str = "best", view_options=None,
             **options):
    """Draw a run's figures into ``RUN_DIR/plots/``; returns ``DrawResult(written, skipped)``.

    The arrays each figure needs are decoded from the ``checkpoint`` model when missing
    (or all again with ``recompute``); ``view_options`` go to those builders, ``options``
    to the drawing functions (see :func:`vaelab.plot`).
    """
    run_dir = Path(run_dir)
    try:
        names = resolve_kinds(kinds)
    except ValueError as err:
        raise ConfigError(str(err)) from None
    view_options = dict(view_options or {})
    missing = missing_arrays(run_dir, names, options.get("split", "test"), recompute, view_options)
    try:
        if missing:
            ensure_arrays(load_run(run_dir, checkpoint=checkpoint), missing, recompute=recompute,
                          options=view_options)
        return draw(run_dir, names, **options)
    except ValueError as err:  # a bad figure option: the message names the valid choices
        raise ConfigError(str(err)) from None
