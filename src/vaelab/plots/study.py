"""Figures of the reproduce studies: training curves per comparison, activity per dimension per variant,
and group means in a 2-D latent space."""

from __future__ import annotations

import math

import numpy as np

from vaelab.plots.style import new_figure, styled

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f",
           "#bcbd22")


@styled
def draw_comparison_curves(panels: dict[str, dict[str, tuple[list, list]]], ylabel: str):
    """One panel per comparison (title -> label -> (epochs, values)), each a line per variant."""
    n = len(panels)
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig = new_figure(4.2 * cols, 3.0 * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, (title, lines) in zip(axes, panels.items()):
        for colour, (label, (x, y)) in zip(COLOURS, lines.items()):
            ax.plot(x, y, color=colour, lw=1.4, marker="o", ms=2.5, label=label)
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.legend(loc="upper right")
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig


@styled
def draw_activity_lines(activity: dict[str, list[float]], threshold: float = 0.01, title: str = ""):
    """Per variant, its latent dimensions' activity Var_x E_q[z_u], sorted largest first (log scale), with the
    active-unit threshold as a dashed line."""
    fig = new_figure(6.4, 3.6)
    ax = fig.subplots()
    for colour, (label, values) in zip(COLOURS, activity.items()):
        v = np.sort(np.asarray(values, dtype=float))[::-1]  # (d,)
        active = int((v > threshold).sum())
        ax.plot(np.arange(1, len(v) + 1), np.maximum(v, 1e-6), marker="o", ms=2.5, lw=1.2, color=colour,
                label=f"{label} ({active}/{len(v)} active)")
    ax.axhline(threshold, ls="--", lw=0.8, color="#555555")
    ax.set_yscale("log")
    ax.set_xscale("log")
    ax.set_xlabel("latent dimension, most active first")
    ax.set_ylabel("activity Var_x E_q[z_u]")
    ax.set_title(title or "Activity per latent dimension")
    ax.legend(loc="lower left", fontsize=7)
    return fig


@styled
def draw_group_means(panels: dict[str, dict[str, tuple[float, float]]], title: str = ""):
    """One panel per run: each group's mean 2-D code as a labelled point (e.g. digits 0 and 1 per seed)."""
    n = len(panels)
    fig = new_figure(3.2 * n, 3.2)
    axes = np.atleast_1d(fig.subplots(1, n, squeeze=False).ravel())
    for ax, (name, points) in zip(axes, panels.items()):
        for colour, (group, (x, y)) in zip(COLOURS, points.items()):
            ax.scatter([x], [y], s=60, color=colour, zorder=3)
            ax.annotate(str(group), (x, y), textcoords="offset points", xytext=(5, 5))
        ax.axhline(0, lw=0.6, color="#999999")
        ax.axvline(0, lw=0.6, color="#999999")
        lim = max(1.0, *(abs(c) for p in points.values() for c in p)) * 1.2
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        ax.set_title(name)
        ax.set_xlabel("z0")
        ax.set_ylabel("z1")
    if title:
        fig.suptitle(title)
    return fig
