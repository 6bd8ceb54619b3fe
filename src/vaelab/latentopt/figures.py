"""The LSO figures, drawn from saved arrays on an Agg canvas (no pyplot): ``paths.png`` and ``match.png``."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from vaelab.plots.images import Pixels
from vaelab.plots.panels import mosaic_size, show_tiles
from vaelab.plots.style import ACTIVE_COLOUR, BETA_COLOUR, KL_COLOUR, TRAIN_COLOUR, VALID_COLOUR, new_figure, styled

FAINT = 0.25  # alpha of one path's line behind the mean


def _paths(ax, steps: np.ndarray, values: np.ndarray, colour: str, label: str, marker: str | None = None) -> None:
    """Each path (columns of ``values`` (n, K)) faint, their mean (ignoring NaN) bold."""
    ax.plot(steps, values, color=colour, alpha=FAINT, linewidth=0.8, marker=marker, markersize=2)
    finite = np.isfinite(values)  # (n, K)
    count = finite.sum(1)  # (n,)
    mean = np.where(count > 0, np.where(finite, values, 0.0).sum(1) / np.maximum(count, 1), np.nan)  # (n,)
    ax.plot(steps, mean, color=colour, linewidth=2.0, label=label)


@styled
def draw_property_paths(summary: dict, arrays: dict) -> Figure:
    """Predicted (and, for molecules, real) property, validity and ||z|| along every path vs step."""
    mol = summary.get("molecules")
    real = mol is not None and "real" in mol
    panels = 2 + (mol is not None) + real
    fig = new_figure(3.4 * panels, 3.0)
    axes = fig.subplots(1, panels)
    name, direction = summary["property"], summary["settings"]["direction"]
    pred = np.asarray(arrays["predicted"])  # (steps + 1, K)
    steps = np.arange(pred.shape[0])
    ax = axes[0]
    _paths(ax, steps, pred, TRAIN_COLOUR, "mean over starts")
    ax.set(title=f"Predicted {name}", xlabel="step", ylabel=f"{name} (predicted, {direction})")
    ax.legend(loc="best")
    i = 1
    if mol is not None:
        at = np.asarray(arrays["checked_steps"])
        if real:
            ax = axes[i]
            _paths(ax, at, np.asarray(arrays["real"]), VALID_COLOUR, "mean over valid", marker="o")
            ax.set(title=f"Real {name} (RDKit, decoded)", xlabel="step", ylabel=name)
            ax.legend(loc="best")
            i += 1
        ax = axes[i]
        ax.plot(at, np.asarray(arrays["valid"]).mean(1), color=ACTIVE_COLOUR, linewidth=2.0, marker="o", markersize=3)
        ax.set(title="Validity along the paths", xlabel="step", ylabel="share of paths valid", ylim=(-0.03, 1.03))
        i += 1
    ax = axes[i]
    _paths(ax, steps, np.asarray(arrays["norm"]), BETA_COLOUR, "mean")
    bound = summary["settings"].get("max_norm")
    if bound:
        ax.axhline(bound, color=KL_COLOUR, linestyle="--", linewidth=1.0, label="bound")
    codes = summary["settings"].get("penalty_on") == "codes"
    ax.set(title="Distance from the codes' mean" if codes else "Distance from the origin", xlabel="step",
           ylabel="Mahalanobis distance" if codes else "||z||")
    ax.legend(loc="best")
    st = summary["settings"]
    fig.suptitle(f"Latent ascent on {name}: {pred.shape[1]} starts, penalty {st['penalty']} x {st['penalty_on']}")
    return fig


MAX_TARGET_ROWS = 8
MAX_START_COLS = 6
EXCESS_FLOOR = 1e-3  # the log-scaled excess loss is clipped here (the best start reaches 0)


def _match_tiles(arrays: dict) -> tuple[np.ndarray, list[str]]:
    """Rows: targets; columns: the target, the encoder's reconstruction, the decoded final code of each start."""
    pixels = Pixels(arrays, ["x", "x_encoder", "x_final"], lead=1)
    t = min(len(arrays["x"]), MAX_TARGET_ROWS)
    s = min(np.shape(arrays["x_final"])[1], MAX_START_COLS)
    target = pixels.tiles(np.asarray(arrays["x"])[:t])[:, None]  # (t, 1, h, w, 3)
    enc = pixels.tiles(np.asarray(arrays["x_encoder"])[:t])[:, None]  # (t, 1, h, w, 3)
    final = pixels.tiles(np.asarray(arrays["x_final"])[:t, :s])  # (t, s, h, w, 3)
    labels = ["target", "encoder"] + [f"start {j + 1}" for j in range(s)]
    return np.concatenate([target, enc, final], axis=1), labels


@styled
def draw_match(summary: dict, arrays: dict) -> Figure:
    """Targets against what the optimised codes decode to, and the loss along the optimisation."""
    tiles, labels = _match_tiles(arrays)
    fig = new_figure(0.55 * tiles.shape[1] + 5.0, max(3.2, 0.55 * tiles.shape[0] + 0.8))
    left, right = fig.subplots(1, 2, width_ratios=[0.55 * tiles.shape[1], 4.0])
    show_tiles(left, tiles, col_labels=labels, cols_on_top=True)
    left.set_title("Targets and decoded optimised codes", pad=14)
    loss = np.asarray(arrays["loss"], dtype=np.float64)  # (steps + 1, T, S)
    excess = loss - loss[-1].min(-1)[None, :, None]  # above the best final loss of the same target
    excess = excess.reshape(loss.shape[0], -1).clip(EXCESS_FLOOR)  # (steps + 1, T*S)
    steps = np.arange(loss.shape[0])
    lo, mid, hi = np.percentile(excess, [25, 50, 75], axis=1)
    right.fill_between(steps, lo, hi, color=TRAIN_COLOUR, alpha=FAINT, linewidth=0, label="25-75% of rows")
    right.plot(steps, mid, color=TRAIN_COLOUR, linewidth=2.0, label="median")
    right.axvline(summary["converged"]["mean"], color=BETA_COLOUR, linestyle=":", linewidth=1.0,
                  label=f"converged (mean step {summary['converged']['mean']:.0f})")
    right.set(title=f"Loss ({summary['settings']['loss']}) above the target's best final loss", xlabel="Adam step",
              ylabel="loss - best final loss of the target", yscale="log")
    right.legend(loc="upper right")
    sp = summary["spread"]
    fig.suptitle(f"Latent matching: {summary['targets']} targets x {summary['starts']} starts; final code spread "
                 f"(mean sq. distance) {sp['code_sq_dist']:.2f}")
    return fig


@styled
def draw_property_images(summary: dict, arrays: dict) -> Figure:
    """Image runs: what the first paths decode to at a few steps (rows: starts; columns: steps)."""
    pixels = Pixels(arrays, ["x_path"], lead=2)
    tiles = np.swapaxes(pixels.tiles(np.asarray(arrays["x_path"])), 0, 1)  # (k, C, h, w, 3): a row per path
    pred = np.asarray(arrays["predicted"])  # (steps + 1, K)
    at = np.asarray(arrays["image_steps"])
    width, height = mosaic_size(tiles.shape[0], tiles.shape[1], tiles.shape[2], tiles.shape[3], pixels.tile_inches)
    fig = new_figure(width + 1.6, height + 0.9)
    ax = fig.subplots()
    show_tiles(ax, tiles, row_labels=[f"{pred[-1, j]:.2f}" for j in range(tiles.shape[0])],
               col_labels=[f"step {s}" for s in at], cols_on_top=True)
    ax.set_ylabel(f"predicted {summary['property']} at the end")
    ax.set_title(f"Decoded along the paths ({summary['settings']['direction']} {summary['property']})", pad=14)
    return fig
