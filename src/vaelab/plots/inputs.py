"""Read what the earlier stages wrote into a run directory, and write a PNG atomically."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from vaelab.fileio import atomic_write_bytes, load_npz, read_json, read_jsonl
from vaelab.plots.errors import FigureNotApplicable
from vaelab.plots.style import DPI


def load_input(path: Path):
    """Load one input file by its extension."""
    path = Path(path)
    if path.suffix == ".npz":
        return load_npz(path)
    if path.suffix == ".jsonl":
        return read_jsonl(path)
    if path.suffix == ".json":
        return read_json(path)
    raise ValueError(f"no loader for {path.name}")


def require(arrays, *keys: str, source: str = "arrays") -> None:
    """Raise :class:`FigureNotApplicable` naming the first of ``keys`` that ``arrays`` lacks."""
    for key in keys:
        if key not in arrays:
            raise FigureNotApplicable(f"{source} has no '{key}'")


def scalar_str(arrays, key: str, default: str = "") -> str:
    """A 0-d string array (``kind``, ``label_name``, ``base``) as ``str``; ``default`` if absent."""
    if key not in arrays:
        return default
    return str(np.asarray(arrays[key]).reshape(()).item())


def number_series(records: list[dict], key: str) -> np.ndarray:
    """``records[i][key]`` as floats, NaN where absent or not a finite number."""
    out = np.full(len(records), np.nan)
    for i, record in enumerate(records):
        value = record.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            out[i] = value
    return out


def save_png(fig: Figure, path: Path, dpi: int = DPI) -> Path:
    """Write ``fig`` to ``path`` as PNG (tight bbox), atomically (:func:`vaelab.fileio.atomic_write_bytes`)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.08)
    atomic_write_bytes(path, buf.getvalue())
    return Path(path)
