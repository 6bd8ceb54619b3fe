"""Figures of a run: build the figure data a figure needs (views), then draw (plots)."""

from __future__ import annotations

import inspect
from pathlib import Path

from vaelab.config import load_config
from vaelab.errors import ConfigError
from vaelab.pipeline.writer import writing
from vaelab.plots import draw
from vaelab.plots.registry import FIGURES, resolve_kinds
from vaelab.progress import stage
from vaelab.rundir import RunLayout, load_run
from vaelab.rundir.layout import ARRAYS, require_run, split_file
from vaelab.tracking.attach import attach_files
from vaelab.views import BUILDERS, ensure_arrays


def figure_data(names, split: str) -> list[str]:
    """The figure-data files (``arrays/<name>.npz``, by name) that the figures ``names`` read."""
    needed = [Path(split_file(rel, split)).stem for k in names for rel in FIGURES[k].inputs
              if rel.startswith(f"{ARRAYS}/")]
    return list(dict.fromkeys(needed))


def seeded(data: list[str], view_options: dict, seed: int) -> dict:
    """``view_options`` with ``seed`` given to every builder in ``data`` that draws at random (and so rebuilt)."""
    out = dict(view_options)
    for name in data:
        if "seed" in inspect.signature(BUILDERS[name]).parameters:
            out[name] = {**out.get(name, {}), "seed": seed}
    return out


def missing_arrays(run_dir: Path, names, split: str, recompute: bool, view_options: dict) -> list[str]:
    """The figure-data files (``arrays/<name>.npz``) the figures ``names`` need and that must be (re)built."""
    layout = RunLayout(run_dir)
    return [n for n in figure_data(names, split)
            if recompute or n in view_options or not layout.arrays(n).is_file()]


def plot_run(run_dir, kinds=None, *, recompute: bool = False, checkpoint: str = "best", view_options=None,
             seed: int | None = None, device: str = "auto", progress: bool = True, **options):
    """Draw a run's figures into ``RUN_DIR/plots/``; returns ``DrawResult(written, skipped)``.

    The arrays each figure needs are decoded from the ``checkpoint`` model when missing
    (or all again with ``recompute``); ``view_options`` go to those builders, ``options``
    to the drawing functions (see :func:`vaelab.plot`).
    """
    run_dir = Path(run_dir)
    load_config(require_run(run_dir).config, saved_run=True)  # a damaged config.yaml is named, needed or not
    try:
        names = resolve_kinds(kinds)
    except ValueError as err:
        raise ConfigError(str(err)) from None
    view_options = dict(view_options or {})
    if seed is not None:
        view_options = seeded(figure_data(names, options.get("split", "test")), view_options, seed)
    missing = missing_arrays(run_dir, names, options.get("split", "test"), recompute, view_options)
    layout = RunLayout(run_dir)
    with writing(run_dir, layout.plots, layout.root / ARRAYS):
        try:
            if missing:
                with stage(f"plot: figure data {', '.join(missing)}", progress):
                    ensure_arrays(load_run(run_dir, checkpoint=checkpoint, device=device), missing,
                                  recompute=recompute, options=view_options)
            with stage(f"plot: drawing {len(names)} figure(s)", progress):
                result = draw(run_dir, names, **options)
            attach_files(run_dir, result.written, "figures")  # to the run's trackers (train.loggers), if any
            return result
        except ValueError as err:  # a bad figure option: the message names the valid choices
            raise ConfigError(str(err)) from None
