"""Colour points by a label: a discrete legend for a few groups, a colourbar for many."""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

PLAIN = np.array([0.23, 0.43, 0.66, 1.0])  # the colour of unlabelled points
MAX_LEGEND = 20  # more groups than this get a colourbar


class LabelColours:
    """Colours for ``labels`` (N,) ints, or one plain colour when ``labels`` is None."""

    def __init__(self, labels: np.ndarray | None, name: str = "label"):
        self.name = name or "label"
        self.values = None if labels is None else np.unique(np.asarray(labels))
        n = 0 if self.values is None else len(self.values)
        self.discrete = 0 < n <= MAX_LEGEND
        if self.discrete:
            cmap = colormaps["tab10" if n <= 10 else "tab20"]
            self._table = {v: np.array(cmap(i)) for i, v in enumerate(self.values)}
        elif n:
            self._norm = Normalize(float(self.values.min()), float(self.values.max()))
            self._cmap = colormaps["viridis"]

    @property
    def labelled(self) -> bool:
        return self.values is not None

    def colours(self, labels: np.ndarray | None, alpha: float = 1.0) -> np.ndarray:
        """RGBA (n, 4) for the given labels (a subset of the ones this was built from)."""
        if labels is None or self.values is None:
            n = 0 if labels is None else len(labels)
            out = np.tile(PLAIN, (max(n, 1), 1))
        elif self.discrete:
            out = np.array([self._table[v] for v in np.asarray(labels)])
        else:
            out = np.asarray(self._cmap(self._norm(np.asarray(labels, dtype=float))))
        out = out.copy()
        out[:, 3] = alpha
        return out

    def add_key(self, ax: Axes, style: str = "marker") -> None:
        """A legend (``style`` ``marker`` or ``patch``) or colourbar titled with the label name."""
        if self.values is None:
            return
        if not self.discrete:
            mappable = ScalarMappable(norm=self._norm, cmap=self._cmap)
            bar = ax.figure.colorbar(mappable, ax=ax, fraction=0.05, pad=0.02)
            bar.set_label(self.name)
            return
        handles = []
        for v in self.values:
            colour = self._table[v]
            if style == "patch":
                handles.append(Patch(facecolor=(*colour[:3], 0.35), edgecolor=colour, label=str(v)))
            else:
                handles.append(Line2D([], [], ls="", marker="o", ms=5, color=colour, label=str(v)))
        ax.legend(handles=handles, title=self.name, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  borderaxespad=0.0, ncols=1 if len(handles) <= 12 else 2, handletextpad=0.3,
                  columnspacing=0.8)
