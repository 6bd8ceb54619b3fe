"""The map of ``vaelab explore``: latent codes to 2-D and back.

A :class:`MapProjection` is fitted to the codes of one run, or jointly to those of
several runs whose latent dimensions agree (``vaelab explore A B``), and gives

* ``coords[r]``: the map position of each shown example of run ``r``;
* :meth:`place`: the position of any other code (a decoded point, a path, samples);
* :meth:`lift`: a code for a map position, for "click to decode".

Linear maps (the identity for 2-D latents, PCA otherwise) have an exact inverse on
their plane: a position p lifts to ``base + W (p - W^T (base - c))``, the code ``base``
with its two map coordinates replaced by p, where ``base`` is the run's mean code
(``fill="mean"``) or the code of the example nearest to p on the map
(``fill="nearest"``); for 2-D latents that is p itself. t-SNE (van der Maaten & Hinton
2008) has no inverse and no out-of-sample map: a position lifts to the code of the
nearest example, and a new code is placed where its nearest example (in latent space) is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaelab.errors import ConfigError
from vaelab.plots.projection import TSNE_MAX_POINTS, pca_basis, tsne
from vaelab.plots.style import dim_name

METHODS = ("pca", "tsne")
FILLS = ("mean", "nearest")


@dataclass
class MapProjection:
    """Codes (one array per run) on a shared 2-D map; ``basis`` (d, 2) and ``centre`` (d,) for linear maps."""

    method: str  # "identity", "PCA", "t-SNE" or "1-D"
    codes: list[np.ndarray]  # per run: (n_r, d) float64, the shown examples' codes
    coords: list[np.ndarray]  # per run: (n_r, 2) float64, their map positions
    xlabel: str
    ylabel: str
    centre: np.ndarray | None = None  # (d,)
    basis: np.ndarray | None = None  # (d, 2), orthonormal columns (a zero column for 1-D latents)

    @property
    def linear(self) -> bool:
        return self.basis is not None

    def place(self, r: int, z: np.ndarray) -> np.ndarray:
        """Map positions of codes z (m, d) of run r: (m, 2)."""
        z = np.atleast_2d(np.asarray(z, dtype=np.float64))  # (m, d)
        if self.linear:
            return (z - self.centre) @ self.basis  # (m, 2)
        nearest = nearest_rows(self.codes[r], z)  # (m,)
        return self.coords[r][nearest]

    def lift(self, r: int, p: np.ndarray, fill: str = "mean") -> tuple[np.ndarray, int | None]:
        """A code (d,) for the map position p (2,) of run r, and the row of the example it took its other
        coordinates from (None with ``fill="mean"`` on a linear map)."""
        p = np.asarray(p, dtype=np.float64)  # (2,)
        row = int(nearest_rows(self.coords[r], p[None])[0])
        if not self.linear:
            return self.codes[r][row].copy(), row
        base = self.codes[r][row] if fill == "nearest" else self.codes[r].mean(axis=0)  # (d,)
        z = base + self.basis @ (p - (base - self.centre) @ self.basis)  # (d,)
        return z, (row if fill == "nearest" else None)


def nearest_rows(points: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Index of the nearest row of ``points`` (n, k) for each row of ``queries`` (m, k): (m,)."""
    d2 = ((queries[:, None, :] - points[None, :, :]) ** 2).sum(-1)  # (m, n)
    return d2.argmin(axis=1)


def fit_projection(codes: list[np.ndarray], method: str = "pca", seed: int = 0) -> MapProjection:
    """One map for the codes of one or more runs (each (n_r, d), the same d): identity for d = 2, else
    ``method`` (``pca`` or ``tsne``), fitted to all the codes together."""
    codes = [np.asarray(c, dtype=np.float64) for c in codes]
    d = codes[0].shape[1]
    if any(c.shape[1] != d for c in codes):
        raise ValueError("a joint map needs codes of one latent dimension")
    if d == 1:
        basis = np.array([[1.0, 0.0]])  # (1, 2): x is the code, y a jitter only the examples get
        rng = np.random.default_rng(seed)
        coords = [np.column_stack([c[:, 0], rng.uniform(-1, 1, len(c))]) for c in codes]
        return MapProjection("1-D", codes, coords, dim_name(0), "random jitter", np.zeros(1), basis)
    if d == 2:
        return MapProjection("identity", codes, [c.copy() for c in codes], dim_name(0), dim_name(1),
                             np.zeros(2), np.eye(2))
    if method == "tsne":
        return _tsne(codes, seed)
    centre, vt, ratio = pca_basis(np.concatenate(codes))  # (d,), (r, d), (r,)
    basis = np.zeros((d, 2))
    basis[:, : min(2, len(vt))] = vt[:2].T  # (d, 2)
    ratio = np.pad(ratio, (0, 2))[:2]
    proj = MapProjection("PCA", codes, [], f"PC1 ({100 * ratio[0]:.1f}% var)", f"PC2 ({100 * ratio[1]:.1f}% var)",
                         centre, basis)
    proj.coords = [proj.place(r, c) for r, c in enumerate(codes)]
    return proj


def _tsne(codes: list[np.ndarray], seed: int) -> MapProjection:
    """A joint t-SNE embedding (at most TSNE_MAX_POINTS codes in all; the callers show fewer)."""
    total = sum(len(c) for c in codes)
    if total > TSNE_MAX_POINTS:
        raise ConfigError(f"t-SNE of {total} codes: at most {TSNE_MAX_POINTS}; show fewer examples (--max-points) "
                          "or use PCA")
    flat = tsne(np.concatenate(codes), seed)  # (total, 2)
    cuts = np.cumsum([len(c) for c in codes])[:-1]
    return MapProjection("t-SNE", codes, list(np.split(np.asarray(flat, dtype=np.float64), cuts)),
                         "t-SNE 1", "t-SNE 2")
