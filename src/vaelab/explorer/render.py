"""What the page shows of an example or a decoded code: an image as a PNG, or a molecule as SVG with its SMILES.

Images go through :class:`vaelab.plots.images.Pixels` (the figures' renderer: grey or
RGB pictures, bar or point glyphs for plain vectors) on one value scale fixed from the
split's data, so two decodes are comparable pixel for pixel. Molecules are drawn by
RDKit (:func:`vaelab.chem.draw.molecule_svg`); a string that is not a molecule gets no
drawing and ``valid: false``. Pictures travel as ``data:`` URLs, so the page loads
nothing from anywhere, and an SVG shown through ``<img>`` cannot run script.
"""

from __future__ import annotations

import base64
import io

import numpy as np

from vaelab.plots.images import Pixels

MOLECULE_PX = 260  # side of a molecule drawing


def png_url(rgb: np.ndarray) -> str:
    """An RGB picture (h, w, 3) with values in [0, 1] as a ``data:image/png`` URL."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray((np.clip(rgb, 0, 1) * 255).round().astype(np.uint8)).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def svg_url(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


class ImageRenderer:
    """Examples and decoded means of an image (or plain vector) run as PNG data URLs."""

    kind = "image"

    def __init__(self, reference: np.ndarray, event_shape: tuple[int, ...], data_kind: str):
        # reference: (n, *event_shape) examples that fix the value scale (for real-valued data)
        self.pixels = Pixels({"x": reference, "event_shape": np.asarray(event_shape), "kind": np.asarray(data_kind)},
                             ["x"], 1)

    def items(self, x: np.ndarray) -> list[dict]:
        """Items (m, *event_shape) as ``[{"image": url}]``."""
        tiles = self.pixels.tiles(np.asarray(x, dtype=np.float32))  # (m, h, w, 3)
        return [{"image": png_url(t)} for t in tiles]


class MoleculeRenderer:
    """Molecules (SMILES strings) as SVG data URLs with their SMILES and validity."""

    kind = "molecule"

    def items(self, smiles, valid=None) -> list[dict]:
        """``[{"smiles", "valid", "image"}]``; ``image`` is None where the string is not a molecule."""
        from vaelab.chem.draw import molecule_svg

        out = []
        for i, s in enumerate(smiles):
            svg = molecule_svg(s, MOLECULE_PX) if s else None
            ok = svg is not None if valid is None else bool(valid[i]) and svg is not None
            out.append({"smiles": str(s or ""), "valid": ok, "image": svg_url(svg) if svg is not None else None})
        return out
