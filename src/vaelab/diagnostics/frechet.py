"""The Fréchet distance between two sets of feature vectors, each summarised by a Gaussian."""

from __future__ import annotations

import numpy as np


def _sqrt_psd(c: np.ndarray) -> np.ndarray:
    """Symmetric square root of a positive semi-definite matrix (negative round-off eigenvalues clipped)."""
    w, v = np.linalg.eigh(c)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance(feat_a, feat_b) -> float:
    """d^2 = ||mu_a - mu_b||^2 + tr(C_a + C_b - 2 (C_a C_b)^{1/2})  (Dowson & Landau 1982; Heusel et al. 2017).

    ``feat_a`` (n_a, f) and ``feat_b`` (n_b, f) are feature vectors; each set is
    summarised by its mean and covariance (n - 1 denominator). The trace of the matrix
    square root is computed stably as tr((S C_b S)^{1/2}) with S = C_a^{1/2}: S C_b S
    is symmetric PSD, so its eigenvalues are real and >= 0 (up to round-off), unlike
    those of C_a C_b, for which ``scipy.linalg.sqrtm`` may return complex noise.
    Computed in float64. Identical sets give 0 (up to round-off).
    """
    a = np.asarray(feat_a, dtype=np.float64)
    b = np.asarray(feat_b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"frechet_distance needs two (n, f) arrays with the same f, got {a.shape} and {b.shape}")
    if min(a.shape[0], b.shape[0]) < 2:
        raise ValueError("frechet_distance needs at least 2 vectors per set")
    mu_a, mu_b = a.mean(0), b.mean(0)  # (f,)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)  # (f, f)
    return frechet_distance_stats(mu_a, cov_a, mu_b, cov_b)


def frechet_distance_stats(mu_a, sigma_a, mu_b, sigma_b) -> float:
    """The Fréchet distance between N(mu_a, sigma_a) and N(mu_b, sigma_b), with the stable trace above.

    For sets summarised once and compared many times (e.g. ChemNet statistics of a test set).
    """
    mu_a, mu_b = np.asarray(mu_a, np.float64), np.asarray(mu_b, np.float64)  # (f,)
    sigma_a, sigma_b = np.asarray(sigma_a, np.float64), np.asarray(sigma_b, np.float64)  # (f, f)
    if mu_a.shape != mu_b.shape or sigma_a.shape != sigma_b.shape or sigma_a.shape != mu_a.shape * 2:
        shapes = f"{mu_a.shape}, {sigma_a.shape} vs {mu_b.shape}, {sigma_b.shape}"
        raise ValueError(f"frechet_distance_stats needs (f,) means and (f, f) covariances of one f, got {shapes}")
    s = _sqrt_psd(sigma_a)  # (f, f)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(s @ sigma_b @ s), 0.0, None)).sum()
    d2 = float(np.sum((mu_a - mu_b) ** 2) + np.trace(sigma_a) + np.trace(sigma_b) - 2.0 * cross)
    return max(d2, 0.0)
