import numpy as np
import pytest

from vaelab.plots.errors import TOKENS_REASON, FigureNotApplicable
from vaelab.plots.images import Pixels, column_subsample, grid_of, layout_of, mosaic, tile_centres


def _arrays(shape, kind, n=5, seed=0, **extra):
    x = np.random.default_rng(seed).random((n, *shape)).astype(np.float16)
    return {"event_shape": np.array(shape), "kind": np.array(kind), "x": x, **extra}


@pytest.mark.parametrize("shape, layout", [
    ((1, 28, 28), "grey"), ((28, 28), "grey"), ((784,), "grey"), ((64,), "grey"),
    ((3, 32, 32), "rgb"), ((4, 8, 8), "rgb"), ((2, 8, 8), "channels"),
    ((2,), "point"), ((10,), "bars"), ((16,), "bars"), ((1,), "bars"), ((300,), "wrap"), ((2, 3, 4, 5), "bars"),
])
def test_layout_by_event_shape(shape, layout):
    assert layout_of(shape) == layout


@pytest.mark.parametrize("shape", [(1, 28, 28), (784,), (3, 16, 16), (5, 8, 8), (2,), (10,), (1,), (300,),
                                   (2, 3, 4, 5)])
@pytest.mark.parametrize("kind", ["binary", "unit", "real"])
def test_tiles_are_rgb_in_unit_range_for_any_shape(shape, kind):
    arrays = _arrays(shape, kind)
    if kind == "real":
        arrays["x"] = (arrays["x"].astype(np.float32) * 6 - 3)
    tiles = Pixels(arrays, ["x"], lead=1).tiles(arrays["x"])
    assert tiles.ndim == 4 and tiles.shape[0] == 5 and tiles.shape[-1] == 3
    assert tiles.min() >= 0 and tiles.max() <= 1 and tiles.std() > 0


def test_grey_and_rgb_pixels_land_where_they_belong():
    grey = _arrays((1, 4, 6), "unit", n=2)
    tiles = Pixels(grey, ["x"], lead=1).tiles(grey["x"])
    np.testing.assert_allclose(tiles[..., 0], grey["x"][:, 0].astype(np.float32))
    assert np.all(tiles[..., 0] == tiles[..., 2])
    rgb = _arrays((3, 4, 6), "unit", n=2)
    tiles = Pixels(rgb, ["x"], lead=1).tiles(rgb["x"])
    np.testing.assert_allclose(tiles, np.moveaxis(rgb["x"].astype(np.float32), 1, -1))


def test_unit_data_is_clipped_and_real_data_rescaled_per_figure():
    unit = {"event_shape": np.array([1, 2, 2]), "kind": np.array("unit"),
            "x": np.array([[[[-0.5, 0.5], [1.5, 1.0]]]], dtype=np.float32)}
    assert Pixels(unit, ["x"], lead=1).tiles(unit["x"])[0, :, :, 0].tolist() == [[0.0, 0.5], [1.0, 1.0]]
    real = {"event_shape": np.array([1, 1, 2]), "kind": np.array("real"),
            "a": np.array([[[[2.0, 4.0]]]]), "b": np.array([[[[6.0, 3.0]]]])}
    pixels = Pixels(real, ["a", "b"], lead=1)  # pooled range 2..6
    assert pixels.tiles(real["a"])[0, 0, :, 0].tolist() == [0.0, 0.5]
    assert pixels.tiles(real["b"])[0, 0, :, 0].tolist() == [1.0, 0.25]


def test_leading_axes_are_kept():
    arrays = _arrays((10,), "real", n=12)
    x = arrays["x"].reshape(3, 4, 10)
    assert Pixels(arrays, ["x"], lead=1).tiles(x).shape[:2] == (3, 4)


def test_token_data_is_not_applicable():
    arrays = {"event_shape": np.array([12]), "kind": np.array("tokens"), "x": np.zeros((3, 12), np.int64)}
    with pytest.raises(FigureNotApplicable, match="token data"):
        Pixels(arrays, ["x"], lead=1)
    assert "molecule-map" in TOKENS_REASON


def test_missing_event_shape_falls_back_to_trailing_axes():
    pixels = Pixels({"x": np.zeros((2, 3, 1, 8, 8), np.float32)}, ["x"], lead=2)
    assert pixels.event_shape == (1, 8, 8) and pixels.kind == "real" and pixels.layout == "grey"


def test_mosaic_tiles_with_one_pixel_gaps():
    tiles = np.zeros((2, 3, 4, 5, 3), np.float32)
    tiles[1, 2] = 0.5
    m = mosaic(tiles)
    assert m.shape == (2 * 5 - 1, 3 * 6 - 1, 3)
    assert np.all(m[4, :] == 1.0) and np.all(m[:, 5] == 1.0)  # gap row and column
    assert np.all(m[5:, 12:] == 0.5) and np.all(m[:4, :5] == 0.0)
    assert mosaic(tiles, gap=0).shape == (8, 15, 3)
    np.testing.assert_allclose(tile_centres(3, 5), [2.0, 8.0, 14.0])


def test_grid_and_column_helpers():
    g = grid_of(np.zeros((7, 2, 2, 3), np.float32), cols=3)
    assert g.shape == (3, 3, 2, 2, 3) and np.all(g[2, 1:] == 1.0)
    idx = column_subsample(100, 11)
    assert idx[0] == 0 and idx[-1] == 99 and len(idx) == 11
    assert column_subsample(5, 11).tolist() == [0, 1, 2, 3, 4]


def test_a_lattice_over_one_latent_dimension_is_not_applicable():
    """A 1-D run's lattice arrays repeat dimension 0 on both axes: a figure of one line drawn G times."""
    from vaelab.plots.lattice import draw_lattice

    arrays = _arrays((1, 4, 4), "unit", n=3)
    arrays["x"] = np.zeros((3, 3, 1, 4, 4), dtype=np.float16)
    arrays.update(grid=np.linspace(-1, 1, 3), dims=np.array([0, 0]))
    with pytest.raises(FigureNotApplicable, match="1-D latent space"):
        draw_lattice(arrays)
    arrays["dims"] = np.array([0, 1])
    assert draw_lattice(arrays) is not None
