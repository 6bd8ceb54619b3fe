"""Project latent codes to two dimensions for a scatter: PCA (default) or t-SNE."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaelab.plots.style import dim_name

TSNE_MAX_POINTS = 3000
PROJECTIONS = ("pca", "tsne")


@dataclass
class Projection:
    """``coords`` (n, 2) for the examples ``index`` (into the input rows), with axis labels and a name."""

    coords: np.ndarray
    index: np.ndarray
    xlabel: str
    ylabel: str
    method: str


def pca_basis(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The principal axes of ``x`` (N, d): ``(mean (d,), components (r, d), ratio (r,))``, r = min(N, d).

    Computed by SVD of the centred data in float64; components are orthonormal rows
    ordered by decreasing variance, each with its sign fixed so that its largest loading
    is positive (deterministic output); ``ratio`` is each one's share of the variance.
    Scores are ``(x - mean) @ components.T``, and ``mean + scores @ components`` maps
    them back (exactly, on the span of the components).
    """
    x = np.asarray(x, dtype=np.float64)
    mean = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)  # vt (r, d), s decreasing
    signs = np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)])
    signs[signs == 0] = 1.0
    var = s**2
    total = var.sum()
    return mean, vt * signs[:, None], (var / total if total > 0 else np.zeros_like(var))


def pca(x: np.ndarray, k: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Scores on the first ``k`` principal components and their explained-variance ratios.

    ``x`` is (N, d); the axes are :func:`pca_basis`'s. Returns ``(scores (N, k),
    ratio (k,))``, components ordered by decreasing variance, zero-padded when x has
    fewer than ``k`` examples or dimensions.
    """
    mean, vt, ratio = pca_basis(x)
    k_eff = min(k, vt.shape[0])
    scores = (np.asarray(x, dtype=np.float64) - mean) @ vt[:k_eff].T
    if k_eff < k:  # fewer examples or dimensions than k: pad with zeros
        scores = np.pad(scores, ((0, 0), (0, k - k_eff)))
        ratio = np.pad(ratio, (0, k - k_eff))
    return scores, ratio[:k]


def tsne(x: np.ndarray, seed: int = 0) -> np.ndarray:
    """A 2-D t-SNE embedding of (N, d) codes (sklearn, PCA initialisation, perplexity <= 30)."""
    from sklearn.manifold import TSNE

    n = x.shape[0]
    perplexity = float(min(30.0, max(2.0, (n - 1) / 3)))
    model = TSNE(n_components=2, perplexity=perplexity, init="pca", learning_rate="auto", random_state=seed)
    return model.fit_transform(np.asarray(x, dtype=np.float32))


def project(mu: np.ndarray, method: str = "pca", seed: int = 0, max_points: int | None = None) -> Projection:
    """Two coordinates per code: the codes themselves for d = 2, else PCA or t-SNE.

    ``max_points`` subsamples (at random, with ``seed``) before projecting; t-SNE is
    always limited to :data:`TSNE_MAX_POINTS`. A 1-D latent space gets a random
    vertical jitter as its second coordinate.
    """
    if method not in PROJECTIONS:
        raise ValueError(f"projection={method!r}: choose one of {', '.join(PROJECTIONS)}")
    mu = np.asarray(mu, dtype=np.float64)
    n, d = mu.shape
    limit = n if max_points is None else max_points
    if method == "tsne" and d > 2:
        limit = min(limit, TSNE_MAX_POINTS)
    rng = np.random.default_rng(seed)
    index = np.sort(rng.choice(n, size=limit, replace=False)) if n > limit else np.arange(n)
    codes = mu[index]
    if d == 1:
        jitter = rng.uniform(-1, 1, size=len(index))
        return Projection(np.column_stack([codes[:, 0], jitter]), index, dim_name(0), "random jitter", "1-D")
    if d == 2:
        return Projection(codes, index, dim_name(0), dim_name(1), "direct")
    if method == "tsne":
        return Projection(tsne(codes, seed), index, "t-SNE 1", "t-SNE 2", "t-SNE")
    scores, ratio = pca(codes)
    return Projection(scores, index, f"PC1 ({100 * ratio[0]:.1f}% var)", f"PC2 ({100 * ratio[1]:.1f}% var)", "PCA")
