"""Read what the earlier stages wrote into a run directory, and write a PNG atomically."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from vaelab.plots.errors import FigureNotApplicable
from vaelab.plots.style import DPI


def load_npz(path: Path) -> dict[str, np.ndarray]:
    """All arrays of an ``.npz`` file as a plain dict (the file is closed again)."""
    with np.load(path, allow_pickle=False) as f:
        return {key: f[key] for key in f.files}


def load_json(path: Path) -> dict:
    """A JSON object, e.g. ``diagnostics.json``."""
    return json.loads(Path(path).read_text())


def load_jsonl(path: Path) -> list[dict]:
    """One dict per line, e.g. ``metrics.jsonl``; a torn last line (and anything after it) is ignored."""
    from vaelab.fileio import read_jsonl

    return read_jsonl(path)


def load_input(path: Path):
    """Load one input file by its extension."""
    path = Path(path)
    if path.suffix == ".npz":
        return load_npz(path)
    if path.suffix == ".jsonl":
        return load_jsonl(path)
    if path.suffix == ".json":
        return load_json(path)
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
    from vaelab.fileio import atomic_write_bytes

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.08)
    atomic_write_bytes(path, buf.getvalue())
    return Path(path)
