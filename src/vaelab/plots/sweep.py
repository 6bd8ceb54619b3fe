"""``sweep.png``: each metric of a sweep against each key it varies (mean ± sd over seeds, a thin line per seed).

Rows are ``results.csv``'s (one per trial). A panel puts one varied key on the x axis;
every combination of the *other* varied keys (seeds aside) is one colour, whose thick
line is the mean over seeds with a ±1 sd band and whose thin lines are the seeds. Trials
that failed or lack the metric are left out of that panel, and the legend (top row) says how
many trials each point averages.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from vaelab.plots.errors import FigureNotApplicable
from vaelab.plots.style import fmt, new_figure, styled

#: the seed key: averaged over, never on an axis when anything else varies
SEED = "train.seed"
#: (results.csv column, axis label), in the order panels are chosen; at most MAX_METRICS are drawn
METRICS = (("test_iw_nll", "test IW NLL (nats)"), ("valid_neg_elbo", "valid −ELBO (nats)"),
           ("best_valid_loss", "best valid loss"), ("valid_kl", "valid KL (nats)"), ("valid_au", "active units"),
           ("test_mi", "test MI (nats)"), ("test_fd_n", "FD of samples"))
MAX_METRICS = 4
#: metrics that are counts: whole-number ticks
INTEGER_METRICS = ("valid_au", "test_au")
#: statuses whose figures are drawn
FINISHED = ("completed", "early-stopped")
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


def sweep_metrics(rows: list[dict], metrics=None) -> list[tuple[str, str]]:
    """The (column, label) pairs to draw: ``metrics`` when given, else the first of :data:`METRICS` the rows hold."""
    labels = dict(METRICS)
    if metrics:
        return [(m, labels.get(m, m)) for m in metrics]
    present = [(m, label) for m, label in METRICS if any(_number(r.get(m)) is not None for r in rows)]
    if any(m == "valid_neg_elbo" for m, _ in present):  # the loss panel repeats the -ELBO for ELBO models
        present = [(m, label) for m, label in present if m != "best_valid_loss"]
    return present[:MAX_METRICS]


@styled
def draw_sweep(rows: list[dict], varied: list[str], metrics=None, title: str | None = None) -> Figure:
    """One row of panels per metric, one column per varied key (seeds averaged); see the module docstring."""
    done = [r for r in rows if r.get("status") in FINISHED]
    chosen = sweep_metrics(done, metrics)
    if not done or not chosen:
        raise FigureNotApplicable("no finished trial with a metric to draw yet")
    axes_keys = [k for k in varied if k != SEED] or [k for k in varied if k == SEED]
    if not axes_keys:
        raise FigureNotApplicable("the sweep varies nothing: there is no axis to draw against")
    widths = [max(3.6, 0.28 * len({str(r.get(k)) for r in done})) for k in axes_keys]  # room for many categories
    fig = new_figure(sum(widths) + 0.8, 2.8 * len(chosen) + 0.6)
    grid = np.atleast_2d(fig.subplots(len(chosen), len(axes_keys), squeeze=False, width_ratios=widths))
    for i, (metric, label) in enumerate(chosen):
        for j, key in enumerate(axes_keys):
            others = [k for k in axes_keys if k != key]
            _panel(grid[i, j], done, key, others, metric, legend=i == 0)
            grid[i, j].set_ylabel(label if j == 0 else "")
            grid[i, j].set_xlabel(key if i == len(chosen) - 1 else "")
    seeds = len({r.get(SEED) for r in done}) if SEED in varied else 1
    fig.suptitle((title or f"Sweep: {len(done)} of {len(rows)} trials finished")
                 + (f", mean ± sd over {seeds} seeds" if seeds > 1 else ""))
    return fig


def _panel(ax: Axes, rows: list[dict], key: str, others: list[str], metric: str, legend: bool) -> None:
    values = [r.get(key) for r in rows]
    positions, ticks = _positions(values)
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        groups[tuple(r.get(k) for k in others)].append(r)
    drawn = False
    for colour, (group, members) in zip(_cycle(len(groups)), sorted(groups.items(), key=lambda g: str(g[0]))):
        label = ", ".join(f"{k}={_text(v)}" for k, v in zip(others, group)) or None
        drawn |= _group(ax, members, key, metric, positions, colour, label)
    if not drawn:
        ax.text(0.5, 0.5, f"no {metric}", transform=ax.transAxes, ha="center", va="center", color="#888888")
    if ticks is not None:
        ax.set_xticks(range(len(ticks)), ticks, rotation=30 if max(len(t) for t in ticks) > 6 else 0)
    elif _log_scale(values):
        ax.set_xscale("log")
    ax.grid(True, axis="y")
    if metric in INTEGER_METRICS:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if legend and any(label for label in ax.get_legend_handles_labels()[1]):
        ax.legend(loc="best")


def _group(ax: Axes, members: list[dict], key: str, metric: str, positions: dict, colour: str, label) -> bool:
    """Mean ± sd over the seeds at each x, and a thin line per seed; False when no member has the metric."""
    by_x: dict = defaultdict(list)
    by_seed: dict = defaultdict(list)
    for r in members:
        y = _number(r.get(metric))
        if y is not None:
            by_x[positions[_key(r.get(key))]].append(y)
            by_seed[r.get(SEED)].append((positions[_key(r.get(key))], y))
    if not by_x:
        return False
    xs = sorted(by_x)
    mean = np.array([np.mean(by_x[x]) for x in xs])
    sd = np.array([np.std(by_x[x], ddof=1) if len(by_x[x]) > 1 else 0.0 for x in xs])
    if len(by_seed) > 1:
        for points in by_seed.values():
            points.sort()
            ax.plot([p[0] for p in points], [p[1] for p in points], color=colour, lw=0.7, alpha=0.35)
    n = max(len(v) for v in by_x.values())
    ax.plot(xs, mean, color=colour, lw=1.8, marker="o", ms=4, label=(label + f" (n={n})" if label and n > 1
                                                                      else label))
    if (sd > 0).any():
        ax.fill_between(xs, mean - sd, mean + sd, color=colour, alpha=0.15, lw=0)
    return True


def _positions(values: list) -> tuple[dict, list[str] | None]:
    """x position of each value: itself when all are numbers, else its rank among the distinct values (with tick labels)."""
    distinct = list(dict.fromkeys(_key(v) for v in values))
    if all(_number(v) is not None for v in distinct):
        return {v: float(v) for v in distinct}, None
    ordered = sorted(distinct, key=str)
    return {v: float(i) for i, v in enumerate(ordered)}, [_text(v) for v in ordered]


def _log_scale(values: list) -> bool:
    """A positive numeric axis spanning a factor of 20 or more (a learning rate, a loguniform draw) is logarithmic."""
    numbers = [_number(v) for v in values]
    if any(v is None or v <= 0 for v in numbers):
        return False
    return max(numbers) / min(numbers) >= 20


def _key(value):
    """A hashable stand-in for a value (lists such as ``model.hidden`` become tuples)."""
    return tuple(value) if isinstance(value, list) else value


def _number(value) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _text(value) -> str:
    if isinstance(value, float):
        return fmt(value)
    if isinstance(value, (list, tuple)):
        return "x".join(_text(v) for v in value)
    return str(value)


def _cycle(n: int) -> list[str]:
    return [COLOURS[i % len(COLOURS)] for i in range(n)]
