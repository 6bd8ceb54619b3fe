"""What the molecule figures share: the token-data check, molecule tiles, validity frames, strips.

The figures themselves are ``molecule-map`` (:mod:`vaelab.plots.molecule_map`),
``molecule-traversals`` and ``molecule-interpolations``
(:mod:`vaelab.plots.molecule_strips`) and ``property-histograms``
(:mod:`vaelab.plots.property_histograms`). They read the arrays of
:mod:`vaelab.views.molecules`; drawing a molecule needs RDKit (the chem extra), and a
figure is skipped, with the reason, when it is missing.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.axes import Axes

from vaelab.plots.errors import FigureNotApplicable
from vaelab.plots.inputs import scalar_str

INVALID_COLOUR = (0.80, 0.15, 0.15)  # frame of a decoded string that is not a molecule
INPUT_COLOUR = (0.17, 0.42, 0.75)  # frame of a data molecule shown beside decoded ones
FRAME_PX = 3
STRIP_TILE_PX = 120  # pixels per strip tile (drawn at about 0.8 inch)
BOND_SHARE = 0.19  # bond length as a share of the tile side: QM9-sized molecules fill their tile
PROPERTY_LABELS = {"logp": "logP (Crippen)", "qed": "QED", "sa": "SA score", "mw": "molecular weight"}


def require_tokens(arrays, source: str) -> None:
    """Raise :class:`FigureNotApplicable` unless ``arrays`` come from a token (molecule) run."""
    if "reason" in arrays:
        raise FigureNotApplicable(scalar_str(arrays, "reason"))
    kind = scalar_str(arrays, "kind", "")
    if kind != "tokens":
        raise FigureNotApplicable(f"{source} is not from token data ({kind or 'no kind'}): "
                                  "molecule figures need a SMILES or SELFIES run")


def property_label(name: str, unit: str = "") -> str:
    """How a property is named on an axis or colour bar: ``logP (Crippen)``, ``gap (Ha)``."""
    label = PROPERTY_LABELS.get(name, name)
    return f"{label} ({unit})" if unit else label


def strings(arrays, key: str) -> np.ndarray:
    """A stored string array (unicode) as an array of Python strings of the same shape."""
    return np.asarray(arrays[key]).astype(str)


def molecule_pictures(smiles: Sequence[str], size: int, legends: Sequence[str] | None = None,
                      bond_px: float | None = None) -> np.ndarray:
    """RDKit drawings ``(N, size, size, 3)`` uint8; invalid strings get the placeholder.

    Bonds are ``bond_px`` long (default :data:`BOND_SHARE` of the tile side), or shorter
    for molecules that would not fit.
    A missing RDKit makes the figure not applicable rather than failing ``vaelab plot``.
    """
    from vaelab.chem.deps import MissingExtra
    from vaelab.chem.draw import molecule_tiles

    bond = BOND_SHARE * size if bond_px is None else bond_px
    try:
        return molecule_tiles(list(smiles), size=size, legends=legends, bond_px=bond)
    except MissingExtra as err:
        raise FigureNotApplicable(f"drawing molecules needs RDKit ({err})") from None


def framed(tiles: np.ndarray, frames: np.ndarray, colour, width: int = FRAME_PX) -> np.ndarray:
    """Tiles ``(..., h, w, 3)`` in [0, 1] with a ``colour`` border where ``frames`` (...) is True."""
    out = np.array(tiles, dtype=np.float32, copy=True)
    sel = np.asarray(frames, dtype=bool)
    c = np.asarray(colour, dtype=np.float32)
    for edge in (np.s_[..., :width, :, :], np.s_[..., -width:, :, :], np.s_[..., :, :width, :],
                 np.s_[..., :, -width:, :]):
        view = out[edge]
        view[sel] = c
        out[edge] = view
    return out


def strip_tiles(smiles: np.ndarray, valid: np.ndarray, size: int = STRIP_TILE_PX) -> np.ndarray:
    """A grid of strings ``(rows, cols)`` as framed tiles ``(rows, cols, size, size, 3)`` in [0, 1].

    Decoded strings that are not molecules are drawn as the placeholder (a cross) in a red frame.
    """
    rows, cols = smiles.shape
    pics = molecule_pictures(smiles.reshape(-1).tolist(), size).astype(np.float32) / 255.0
    pics = pics.reshape(rows, cols, size, size, 3)
    return framed(pics, ~np.asarray(valid, dtype=bool), INVALID_COLOUR)


def row_notes(ax: Axes, notes: Sequence[str], tile_px: int) -> None:
    """A short note right of each row of a tile mosaic drawn by :func:`~vaelab.plots.panels.show_tiles`."""
    width = ax.get_xlim()[1]
    for r, note in enumerate(notes):
        ax.text(width + 0.08 * tile_px, (r + 0.5) * tile_px - 0.5, note, va="center", ha="left", fontsize=7.5,
                color="0.3", clip_on=False)


def summary(smiles: np.ndarray, valid: np.ndarray) -> str:
    """``valid 7/9, 3 distinct`` for one row of decoded strings."""
    ok = np.asarray(valid, dtype=bool)
    distinct = len(set(np.asarray(smiles)[ok].tolist()))
    return f"valid {int(ok.sum())}/{ok.size}\n{distinct} distinct"
