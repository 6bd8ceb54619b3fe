"""The figures a tracker shows at the end of training: the training curves, and what ``plots/`` already holds.

Training draws no figure files; a tracker draws the cheap ``curves`` figure (from
``metrics.jsonl``, as ``vaelab plot RUN_DIR curves`` would) in memory and adds it, with
every PNG already in ``RUN_DIR/plots/`` (a resumed run that was plotted before). Figures
drawn later by ``vaelab plot`` are attached by :func:`vaelab.tracking.attach_files`.
"""

from __future__ import annotations

import io
from pathlib import Path

from vaelab.fileio import read_jsonl
from vaelab.rundir.layout import RunLayout

#: the name the in-memory curves figure is added under (as ``vaelab plot`` would name it)
CURVES = "curves"


def curves_png(run_dir) -> bytes | None:
    """The ``curves`` figure of the run's ``metrics.jsonl`` as PNG bytes; None when there is no record yet."""
    from vaelab.plots.curves import draw_curves
    from vaelab.plots.errors import FigureNotApplicable
    from vaelab.plots.style import DPI

    metrics_path = RunLayout(Path(run_dir)).metrics
    records = read_jsonl(metrics_path) if metrics_path.is_file() else []
    try:
        fig = draw_curves(records)
    except FigureNotApplicable:
        return None
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", pad_inches=0.08)
    return buf.getvalue()


def saved_pngs(run_dir) -> list[Path]:
    """The figures ``vaelab plot`` wrote (``RUN_DIR/plots/*.png``), by name."""
    folder = RunLayout(Path(run_dir)).plots
    return sorted(folder.glob("*.png")) if folder.is_dir() else []


def end_figures(run_dir) -> dict[str, bytes]:
    """Name -> PNG bytes of the figures to add at the end of training: ``plots/*.png`` and a fresh ``curves``."""
    figures = {p.stem: p.read_bytes() for p in saved_pngs(run_dir)}
    png = curves_png(run_dir)
    if png is not None:
        figures[CURVES] = png
    return figures


def png_to_array(png: bytes):
    """PNG bytes as an (H, W, 3) uint8 array (TensorBoard's ``add_image`` with ``dataformats="HWC"``)."""
    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        return np.asarray(im.convert("RGB"))
