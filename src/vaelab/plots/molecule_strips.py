"""``molecule-traversals`` and ``molecule-interpolations``: latent paths decoded to strips of molecule drawings.

:func:`draw_molecule_samples` lays out the molecules ``vaelab sample`` decodes in the
same way, as a grid.

Each cell is one decoded code drawn with RDKit; a decoded string that is not a
molecule is a cross in a red frame, so where decoding breaks down is visible at a
glance. Next to each row: how many of its steps are valid molecules and how many
different molecules the row passes through.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from vaelab.plots.images import column_subsample, traversal_grid
from vaelab.plots.inputs import require, scalar_str
from vaelab.plots.molecules import (INPUT_COLOUR, STRIP_TILE_PX, framed, molecule_pictures, require_tokens,
                                    row_notes, strings, strip_tiles, summary)
from vaelab.plots.panels import mosaic_size, show_tiles
from vaelab.plots.style import fmt, new_figure, styled

TILE_INCHES = 0.85
NOTE_INCHES = 1.0  # room right of the strips for the per-row notes
KEY = "red frame and cross: not a valid molecule"
STRIP_SHAPE = (STRIP_TILE_PX, STRIP_TILE_PX, 3)  # one framed tile of strip_tiles


@styled
def draw_molecule_traversals(molecule_traversals: dict, columns: int = 9, max_rows: int = 8) -> Figure:
    """Rows of ``molecule_traversals.npz`` (most active dimension first) at about ``columns`` latent values."""
    arrays = molecule_traversals
    require_tokens(arrays, "molecule_traversals.npz")
    require(arrays, "smiles", "valid", "values", "dims", source="molecule_traversals.npz")
    grid = traversal_grid(arrays, columns, max_rows)
    dims, keep, rows = grid.dims, grid.keep, grid.rows
    smiles = strings(arrays, "smiles")[:rows][:, keep]
    valid = np.asarray(arrays["valid"], dtype=bool)[:rows][:, keep]
    tiles = strip_tiles(smiles, valid)  # (R, S, h, w, 3)
    width, height = mosaic_size(*tiles.shape[:4], TILE_INCHES)
    fig = new_figure(width + 1.4 + NOTE_INCHES, height + 1.3)
    ax = fig.add_subplot()
    show_tiles(ax, tiles, row_labels=grid.row_labels, col_labels=grid.col_labels, cols_on_top=True,
               max_col_labels=len(keep))
    row_notes(ax, [summary(smiles[r], valid[r]) for r in range(rows)], STRIP_TILE_PX)
    ax.set_xlabel(f"latent value ({KEY})")
    ax.set_ylabel("dimension")
    d = int(np.asarray(arrays.get("latent_dim", len(dims))).item())
    shown = f"the {rows} most active of {d} dimensions" if rows < d else f"all {d} dimensions, most active first"
    base = scalar_str(arrays, "base", "zero")
    base_smiles = scalar_str(arrays, "base_smiles", "")
    base_text = ("other dimensions 0" if base == "zero"
                 else f"other dimensions from the code of {_short(base_smiles) or 'a test molecule'}")
    ax.set_title(f"Latent traversals decoded to molecules: {shown}\n({base_text})")
    return fig


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


PATHS = (("linear", "linear"), ("spherical", "spherical (slerp)"))


@styled
def draw_molecule_interpolations(molecule_interpolations: dict, columns: int = 8, max_paths: int = 6) -> Figure:
    """Linear and spherical paths between pairs of test molecules, one panel each.

    Each row starts and ends with the pair's own molecules (blue frames, ``A`` and
    ``B``); between them, the decoded path at about ``columns`` values of ``t``.
    """
    arrays = molecule_interpolations
    require_tokens(arrays, "molecule_interpolations.npz")
    require(arrays, "t", source="molecule_interpolations.npz")
    keys = [(k, name) for k, name in PATHS if k in arrays]
    require(arrays, *([k for k, _ in keys] or ["linear"]), source="molecule_interpolations.npz")
    t = np.asarray(arrays["t"], dtype=np.float64)
    keep = column_subsample(len(t), columns)
    panels = []
    for key, _ in keys:
        smiles = strings(arrays, key)[:max_paths][:, keep]
        valid = np.asarray(arrays.get(f"{key}_valid", np.ones(smiles.shape, bool)), dtype=bool)[:max_paths][:, keep]
        panels.append((_with_ends(arrays, strip_tiles(smiles, valid), len(smiles)), smiles, valid))
    rows, cols, h, w = panels[0][0].shape[:4]
    width, height = mosaic_size(rows, cols, h, w, TILE_INCHES)
    fig = new_figure(width + 1.2 + NOTE_INCHES, len(panels) * (height + 0.7) + 0.7)
    axes = fig.subplots(len(panels), 1, squeeze=False).ravel()
    ends = "start" in arrays and "end" in arrays
    col_labels = (["A"] if ends else []) + [fmt(v, 2) for v in t[keep]] + (["B"] if ends else [])
    for ax, (key, name), (tiles, smiles, valid) in zip(axes, keys, panels):
        show_tiles(ax, tiles, row_labels=[f"pair {r + 1}" for r in range(rows)], col_labels=col_labels,
                   max_col_labels=len(col_labels))
        row_notes(ax, [summary(smiles[r], valid[r]) for r in range(rows)], STRIP_TILE_PX)
        ax.set_title(f"{name}, between the codes of test molecules A and B", fontsize=9)
        ax.set_xlabel("t")
    note = "; blue frame: the test molecules themselves" if ends else ""
    fig.suptitle(f"Interpolations in latent space, decoded to molecules ({rows} pairs)\n{KEY}{note}")
    return fig


def _with_ends(arrays: dict, tiles: np.ndarray, rows: int) -> np.ndarray:
    """The pairs' own molecules (blue frames) as a first and a last column around the path tiles."""
    if "start" not in arrays or "end" not in arrays:
        return tiles
    size = tiles.shape[2]
    pics = [molecule_pictures(strings(arrays, k)[:rows].tolist(), size).astype(np.float32) / 255.0
            for k in ("start", "end")]
    start, end = (framed(p, np.ones(rows, bool), INPUT_COLOUR)[:, None] for p in pics)
    return np.concatenate([start, tiles, end], axis=1)


@styled
def draw_molecule_samples(samples: dict, max_items: int = 64, columns: int | None = None) -> Figure:
    """Up to ``max_items`` decoded samples (``smiles``, ``valid``) as a near-square grid of drawings.

    A decoded string that is not a molecule is a cross in a red frame; the title gives
    the validity and the number of distinct molecules of all the samples.
    """
    require(samples, "smiles", "valid", source="samples.npz")
    smiles, valid = strings(samples, "smiles"), np.asarray(samples["valid"], dtype=bool)
    n = min(len(smiles), max_items)
    cols = columns or max(1, min(8, int(np.ceil(np.sqrt(n)))))
    rows = -(-n // cols)
    grid = np.full(rows * cols, "", dtype=object)
    grid[:n] = smiles[:n]
    ok = np.ones(rows * cols, dtype=bool)
    ok[:n] = valid[:n]
    tiles = strip_tiles(grid.reshape(rows, cols), ok.reshape(rows, cols)).reshape(rows * cols, *STRIP_SHAPE)
    tiles[n:] = 1.0  # the cells after the last sample stay white
    width, height = mosaic_size(rows, cols, STRIP_TILE_PX, STRIP_TILE_PX, TILE_INCHES)
    fig = new_figure(max(width, 3.0) + 0.3, height + 0.9)
    show_tiles(fig.add_subplot(), tiles.reshape(rows, cols, *STRIP_SHAPE))
    sampler = scalar_str(samples, "sampler", "prior")
    shown = f"{n}" if n == len(smiles) else f"the first {n} of {len(smiles)}"
    fig.suptitle(f"Samples from the '{sampler}' sampler, decoded to molecules ({shown} draws)\n"
                 f"{summary(smiles, valid).replace(chr(10), ', ')}; {KEY}")
    return fig
