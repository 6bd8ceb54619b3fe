"""``SWEEP_DIR/sweep.png``: the sweep's metrics against its varied keys (:mod:`vaelab.plots.sweep`)."""

from __future__ import annotations

from pathlib import Path

from vaelab.rundir.layout import SweepLayout
from vaelab.sweeps.spec import ARM, Trial


def varied_keys(trials: list[Trial]) -> list[str]:
    """The keys the trials vary, in the order they first appear; with ``arms:``, the settings an arm implies are left
    out (the arm's name stands for them: 28 arms of 20 settings are one axis, not 20)."""
    keys = list(dict.fromkeys(k for t in trials for k in t.varied))
    if ARM not in keys:
        return keys
    return [k for k in keys if k == ARM or not _set_by_arm(trials, k)]


def _set_by_arm(trials: list[Trial], key: str) -> bool:
    """Whether ``key``'s value is the same in every trial of an arm (so the arm decides it)."""
    seen: dict = {}
    for t in trials:
        value = repr(t.varied.get(key))
        if seen.setdefault(t.varied.get(ARM), value) != value:
            return False
    return True


def write_sweep_figure(rows: list[dict], varied: list[str], out: Path) -> Path | None:
    """Draw ``sweep.png`` into the folder ``out``; None (and no file) while no trial has a figure to draw."""
    from vaelab.plots.errors import FigureNotApplicable
    from vaelab.plots.inputs import save_png
    from vaelab.plots.sweep import draw_sweep

    try:
        fig = draw_sweep(rows, varied, title=f"Sweep {Path(out).resolve().name}: "
                         f"{sum(r.get('status') in ('completed', 'early-stopped') for r in rows)} of {len(rows)} "
                         "trials finished")
    except FigureNotApplicable:
        return None
    return save_png(fig, SweepLayout(out).figure)
