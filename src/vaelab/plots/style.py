"""One look for every figure: font sizes, colours, a fresh Agg figure, number formats."""

from __future__ import annotations

import functools

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 110

#: rcParams applied while a figure is built (fonts are fixed when an artist is made).
RC = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.title_fontsize": 8,
    "legend.frameon": False,
    "figure.titlesize": 11,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "image.interpolation": "nearest",
    "savefig.dpi": DPI,
}

TRAIN_COLOUR = "#1f77b4"
VALID_COLOUR = "#d62728"
ACTIVE_COLOUR = "#2b8cbe"
COLLAPSED_COLOUR = "#bdbdbd"
KL_COLOUR = "#e6550d"
BETA_COLOUR = "#555555"


def styled(draw):
    """Decorator: build the figure under :data:`RC` so every figure shares one look."""

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(RC):
            return draw(*args, **kwargs)

    return wrapper


def new_figure(width: float, height: float, max_width: float = 16.0, max_height: float = 22.0) -> Figure:
    """A Figure with an Agg canvas and constrained layout, never registered with pyplot.

    The size is in inches and is scaled down, keeping its aspect, to fit within
    ``max_width`` x ``max_height``.
    """
    scale = min(1.0, max_width / width, max_height / height)
    fig = Figure(figsize=(width * scale, height * scale), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def dim_name(index: int) -> str:
    """How a latent dimension is named on every figure: its 0-based index, as in diagnostics.json."""
    return f"z{int(index)}"


def fmt(value: float, digits: int = 3) -> str:
    """A short number for a tick or label: ``digits`` significant digits, no trailing noise."""
    value = float(value)
    if value == 0:
        return "0"
    return f"{value:.{digits}g}"
