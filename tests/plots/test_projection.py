import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from vaelab.plots.projection import pca, project


def _anisotropic(n=500, seed=0):
    """Data with known principal axes: standard deviations 5, 2, 0.5 along a random rotation."""
    rng = np.random.default_rng(seed)
    rotation, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    return rng.standard_normal((n, 3)) * [5.0, 2.0, 0.5] @ rotation.T + 7.0, rotation


def test_pca_orders_components_by_variance_like_numpy():
    x, rotation = _anisotropic()
    scores, ratio = pca(x, k=3)
    cov = np.cov(x, rowvar=False)
    eigvals, eigvecs = np.linalg.eigh(cov)
    eigvals, eigvecs = eigvals[::-1], eigvecs[:, ::-1]
    np.testing.assert_allclose(ratio, eigvals / eigvals.sum(), rtol=1e-8)
    np.testing.assert_allclose(scores.var(axis=0, ddof=1), eigvals, rtol=1e-8)
    assert ratio[0] > ratio[1] > ratio[2]
    for k in range(3):  # same axes up to sign, and close to the generating rotation
        assert abs(abs(np.dot(np.linalg.lstsq(x - x.mean(0), scores[:, k], rcond=None)[0], eigvecs[:, k])) - 1) < 1e-6
        assert abs(np.dot(eigvecs[:, k], rotation[:, k])) > 0.99


def test_pca_is_deterministic_and_handles_small_inputs():
    x, _ = _anisotropic(50)
    a, _ = pca(x)
    b, _ = pca(x.copy())
    np.testing.assert_array_equal(a, b)
    scores, ratio = pca(np.ones((1, 4)))
    assert scores.shape == (1, 2) and np.all(ratio == 0)


def test_project_labels_axes():
    x, _ = _anisotropic()
    proj = project(x, "pca")
    assert proj.xlabel.startswith("PC1 (") and "% var" in proj.ylabel and proj.coords.shape == (500, 2)
    direct = project(x[:, :2])
    assert direct.method == "direct" and (direct.xlabel, direct.ylabel) == ("z0", "z1")
    np.testing.assert_array_equal(direct.coords, x[:, :2])
    assert project(x[:, :1]).coords.shape == (500, 2)
    sub = project(x, max_points=100)
    assert len(sub.index) == 100 and sub.coords.shape == (100, 2)
    with pytest.raises(ValueError, match="pca, tsne"):
        project(x, "umap")


def test_tsne_embeds(monkeypatch):
    x, _ = _anisotropic(80)
    with threadpool_limits(1):  # OpenMP threads contend badly on a busy machine
        proj = project(x, "tsne", seed=0)
    assert proj.method == "t-SNE" and proj.coords.shape == (80, 2) and np.isfinite(proj.coords).all()


def test_tsne_is_limited_to_3000_points(monkeypatch):
    import vaelab.plots.projection as projection

    seen = {}
    monkeypatch.setattr(projection, "tsne", lambda codes, seed: seen.setdefault("n", len(codes)) and codes[:, :2])
    proj = project(np.random.default_rng(0).standard_normal((3500, 5)), "tsne")
    assert seen["n"] == 3000 and len(proj.index) == 3000
