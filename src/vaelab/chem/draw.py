"""Molecule drawings as RGB arrays, headless: RDKit's Cairo drawer, no display, no pyplot.

:func:`molecule_tiles` turns SMILES strings into ``(N, H, W, 3)`` uint8 pictures for the
molecule figures (:mod:`vaelab.plots.molecule_map`, :mod:`vaelab.plots.molecule_strips`).
A string that is not a molecule (invalid SMILES, empty, None) gets a placeholder tile:
a grey cross on a pale background, labelled ``invalid`` with the start of the string,
so a strip of decoded molecules shows where decoding failed.

Every molecule is drawn with the same bond length in pixels (:data:`BOND_PX`), so a
small molecule stays small instead of being blown up to fill its tile; a molecule too
large for the tile is scaled down to fit. RDKit draws one molecule at a time (about
1.5 ms each); repeated strings are drawn once per call.
"""

from __future__ import annotations

import io
from typing import Optional, Sequence

import numpy as np

from vaelab.chem.deps import quiet_rdkit, require

TILE_PX = 160  # default tile side in pixels
BOND_PX = 22.0  # bond length in pixels for molecules that fit (RDKit's fixedBondLength)
BACKGROUND = (255, 255, 255)
PLACEHOLDER_BACKGROUND = (244, 244, 244)
CROSS_COLOUR = (190, 60, 60)
TEXT_COLOUR = (110, 110, 110)


def molecule_tiles(smiles: Sequence[Optional[str]], size: int | tuple[int, int] = TILE_PX,
                   legends: Sequence[str] | None = None, bond_px: float = BOND_PX) -> np.ndarray:
    """Draw each SMILES string: ``(N, H, W, 3)`` uint8 RGB, white background.

    ``size`` is the tile side in pixels, or ``(width, height)``. ``legends`` (one string
    per molecule, or None) are written under each drawing by RDKit. Strings that do
    not parse (and None or empty strings) get :func:`placeholder_tile`. Needs RDKit
    (the chem extra); :class:`~vaelab.chem.deps.MissingExtra` says so when it is missing.
    """
    width, height = (size, size) if isinstance(size, (int, np.integer)) else (int(size[0]), int(size[1]))
    legends = [""] * len(smiles) if legends is None else [str(s) for s in legends]
    if len(legends) != len(smiles):
        raise ValueError(f"molecule_tiles: {len(legends)} legends for {len(smiles)} molecules")
    out = np.empty((len(smiles), height, width, 3), dtype=np.uint8)
    cache: dict[tuple[Optional[str], str], np.ndarray] = {}
    for i, (s, legend) in enumerate(zip(smiles, legends)):
        key = (s if isinstance(s, str) else None, legend)
        if key not in cache:
            cache[key] = molecule_tile(key[0], (width, height), legend, bond_px)
        out[i] = cache[key]
    return out


def molecule_tile(smiles: Optional[str], size: int | tuple[int, int] = TILE_PX, legend: str = "",
                  bond_px: float = BOND_PX) -> np.ndarray:
    """One drawing ``(H, W, 3)`` uint8; the placeholder when ``smiles`` is not a molecule."""
    width, height = (size, size) if isinstance(size, (int, np.integer)) else (int(size[0]), int(size[1]))
    mol = parse(smiles)
    if mol is None:
        return placeholder_tile((width, height), text=smiles or "")
    try:
        return _draw(mol, width, height, legend, bond_px)
    except (RuntimeError, ValueError):  # RDKit could not lay the molecule out (rare: odd valences)
        return placeholder_tile((width, height), text=smiles or "")


def molecule_svg(smiles: Optional[str], size: int | tuple[int, int] = TILE_PX, legend: str = "",
                 bond_px: float = BOND_PX) -> Optional[str]:
    """One drawing as SVG text (RDKit's SVG drawer, same scale as :func:`molecule_tile`); None when not a molecule.

    For a page that shows molecules as vectors (``vaelab explore``); the SVG has a white
    background and no external references.
    """
    width, height = (size, size) if isinstance(size, (int, np.integer)) else (int(size[0]), int(size[1]))
    mol = parse(smiles)
    if mol is None:
        return None
    draw2d = require("rdkit.Chem.Draw.rdMolDraw2D", "rdkit")
    drawer = draw2d.MolDraw2DSVG(width, height)
    _options(drawer, height, bond_px)
    try:
        with quiet_rdkit():
            draw2d.PrepareAndDrawMolecule(drawer, mol, legend=legend)
    except (RuntimeError, ValueError):  # RDKit could not lay the molecule out (rare: odd valences)
        return None
    drawer.FinishDrawing()
    return drawer.GetDrawingText()


def parse(smiles: Optional[str]):
    """An RDKit molecule, or None for a string that is not one (RDKit's messages are muted)."""
    if not isinstance(smiles, str) or not smiles.strip():
        return None
    chem = require("rdkit.Chem", "rdkit")
    with quiet_rdkit():
        mol = chem.MolFromSmiles(smiles)
    return mol if mol is not None and mol.GetNumAtoms() > 0 else None


def _draw(mol, width: int, height: int, legend: str, bond_px: float) -> np.ndarray:
    from PIL import Image

    draw2d = require("rdkit.Chem.Draw.rdMolDraw2D", "rdkit")
    drawer = draw2d.MolDraw2DCairo(width, height)
    _options(drawer, height, bond_px)
    with quiet_rdkit():
        draw2d.PrepareAndDrawMolecule(drawer, mol, legend=legend)
    drawer.FinishDrawing()
    with Image.open(io.BytesIO(drawer.GetDrawingText())) as img:
        return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()


def _options(drawer, height: int, bond_px: float) -> None:
    """The drawing options every molecule picture shares (PNG tiles and SVG)."""
    opts = drawer.drawOptions()
    opts.fixedBondLength = bond_px  # same scale for every molecule that fits
    opts.padding = 0.06
    opts.legendFontSize = max(9, height // 12)
    opts.clearBackground = True


def placeholder_tile(size: int | tuple[int, int] = TILE_PX, text: str = "") -> np.ndarray:
    """The tile for a string that is not a molecule: a cross, ``invalid`` and the string's start."""
    width, height = (size, size) if isinstance(size, (int, np.integer)) else (int(size[0]), int(size[1]))
    tile = np.empty((height, width, 3), dtype=np.uint8)
    tile[:] = PLACEHOLDER_BACKGROUND
    _cross(tile, margin=0.28, thickness=max(2.0, min(width, height) / 40))
    _caption(tile, "invalid" + (f": {_short(text, max(4, width // 14))}" if text else ""))
    return tile


def _cross(tile: np.ndarray, margin: float, thickness: float) -> None:
    """Two diagonals in the middle square of the tile (pixel distance to each line, no drawing library)."""
    h, w, _ = tile.shape
    side = min(h, w) * (1 - 2 * margin)
    x0, y0 = (w - side) / 2, (h - side) / 2
    yy, xx = np.mgrid[0:h, 0:w] + 0.5  # pixel centres
    u, v = (xx - x0) / side, (yy - y0) / side  # 0..1 inside the square
    inside = (u >= 0) & (u <= 1) & (v >= 0) & (v <= 1)
    reach = thickness / 2 * np.sqrt(2) / side  # half the line width, in the square's 0..1 units along a diagonal
    near = (np.abs(u - v) <= reach) | (np.abs(u + v - 1) <= reach)
    tile[inside & near] = CROSS_COLOUR


def _caption(tile: np.ndarray, text: str) -> None:
    """Text centred at the bottom of the tile (PIL's built-in font, so no font files are needed)."""
    from PIL import Image, ImageDraw, ImageFont

    h, w, _ = tile.shape
    try:  # Pillow's bundled scalable font (Pillow >= 10.1 with FreeType)
        font = ImageFont.load_default(size=max(9, min(h, w) // 13))
    except (TypeError, ImportError, OSError):
        font = ImageFont.load_default()
    img = Image.fromarray(tile)
    draw = ImageDraw.Draw(img)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    draw.text(((w - (right - left)) / 2 - left, h - bottom - max(3, h // 20)), text, fill=TEXT_COLOUR, font=font)
    tile[:] = np.asarray(img)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 2] + ".."


def is_placeholder(tile: np.ndarray) -> bool:
    """True for a tile made by :func:`placeholder_tile` (its corner pixel is the placeholder background)."""
    return tuple(int(v) for v in tile[0, 0]) == PLACEHOLDER_BACKGROUND
