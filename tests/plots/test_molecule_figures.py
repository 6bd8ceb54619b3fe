"""The molecule figures: drawings placed without overlap, placeholders for invalid strings, the registry."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.offsetbox import AnnotationBbox

pytest.importorskip("rdkit")

from tests.helpers.molecule_arrays import INVALID, molecule_arrays  # noqa: E402
from vaelab.chem import draw as chem_draw  # noqa: E402
from vaelab.chem.draw import PLACEHOLDER_BACKGROUND, is_placeholder, molecule_tiles  # noqa: E402
from vaelab.plots import FIGURES, draw  # noqa: E402
from vaelab.plots.errors import TOKENS_REASON  # noqa: E402
from vaelab.plots.molecule_map import draw_molecule_map, place_drawings  # noqa: E402
from vaelab.plots.molecule_strips import draw_molecule_interpolations, draw_molecule_traversals  # noqa: E402
from vaelab.plots.molecules import INPUT_COLOUR, INVALID_COLOUR, strip_tiles  # noqa: E402
from vaelab.plots.property_histograms import draw_property_histograms  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
MOLECULE_KINDS = ("molecule-map", "molecule-traversals", "molecule-interpolations", "property-histograms")


@pytest.fixture(scope="module")
def arrays():
    return molecule_arrays()


def _drawings(fig):
    return [a for ax in fig.axes for a in ax.artists if isinstance(a, AnnotationBbox)]


# ------------------------------------------------------------------ placement geometry

def _check_placements(points, box, area, picks, gap):
    w, h = box
    c = picks.centre
    assert len(set(picks.index.tolist())) == len(picks.index)
    assert np.all(c[:, 0] - w / 2 >= area[0] - 1e-9) and np.all(c[:, 0] + w / 2 <= area[2] + 1e-9)
    assert np.all(c[:, 1] - h / 2 >= area[1] - 1e-9) and np.all(c[:, 1] + h / 2 <= area[3] + 1e-9)
    for i in range(len(c)):
        for j in range(i + 1, len(c)):  # separated along x or y by at least the gap
            dx, dy = abs(c[i, 0] - c[j, 0]), abs(c[i, 1] - c[j, 1])
            assert dx >= w + gap - 1e-9 or dy >= h + gap - 1e-9, (i, j)
    anchors = points[picks.index]
    inside = (np.abs(anchors[:, None, :] - c[None, :, :]) < [w / 2, h / 2]).all(2)  # (K points, K boxes)
    assert not inside.any(), "a drawing covers a drawn molecule's point"


@pytest.mark.parametrize("seed", range(4))
def test_place_drawings_never_overlap(seed):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(1, 7, (5, 2))
    points = np.concatenate([c + rng.normal(0, 0.6, (150, 2)) for c in centres])  # clustered, like codes
    points = np.clip(points, 0, [8, 6.8])
    box, area, gap = (0.95, 0.95), (0.0, 0.0, 8.0, 6.8), 0.05
    picks = place_drawings(points, box, area, max_boxes=24, gap=gap)
    assert 12 <= len(picks.index) <= 24
    _check_placements(points, box, area, picks, gap)


def test_place_drawings_edge_cases():
    area = (0.0, 0.0, 4.0, 3.0)
    empty = place_drawings(np.zeros((0, 2)), (1, 1), area, 10)
    assert empty.index.shape == (0,) and empty.centre.shape == (0, 2)
    assert len(place_drawings(np.ones((5, 2)), (1, 1), area, 0).index) == 0
    same = place_drawings(np.full((30, 2), 2.0), (0.8, 0.8), area, 10)  # one spot: one drawing
    assert len(same.index) == 1
    picks = place_drawings(np.array([[0.1, 0.1], [3.9, 2.9]]), (1, 1), area, 10)  # corners: boxes move inwards
    assert len(picks.index) == 2
    _check_placements(np.array([[0.1, 0.1], [3.9, 2.9]]), (1, 1), area, picks, 0.05)


# ------------------------------------------------------------------ drawings

def test_invalid_smiles_get_the_placeholder(monkeypatch):
    calls = []
    real = chem_draw._draw
    monkeypatch.setattr(chem_draw, "_draw", lambda *a: calls.append(1) or real(*a))
    tiles = molecule_tiles(["CCO", INVALID, None, "", "   ", "CCO", "c1ccccc1"], size=(90, 70))
    assert tiles.shape == (7, 70, 90, 3) and tiles.dtype == np.uint8
    assert [is_placeholder(t) for t in tiles] == [False, True, True, True, True, False, False]
    assert len(calls) == 2  # "CCO" drawn once
    np.testing.assert_array_equal(tiles[0], tiles[5])
    assert (tiles[0] < 128).any() and tuple(tiles[0][0, 0]) == (255, 255, 255)  # ink on white
    assert tuple(tiles[1][0, 0]) == PLACEHOLDER_BACKGROUND and (tiles[1][35, 45] != PLACEHOLDER_BACKGROUND).any()


def test_strip_tiles_frame_invalid_cells():
    smiles = np.array([["CCO", INVALID], ["c1ccccc1", "CC(=O)O"]])
    valid = np.array([[True, False], [True, True]])
    tiles = strip_tiles(smiles, valid, size=60)
    assert tiles.shape == (2, 2, 60, 60, 3) and 0 <= tiles.min() and tiles.max() <= 1
    np.testing.assert_allclose(tiles[0, 1, 0, 30], INVALID_COLOUR)
    assert not np.allclose(tiles[0, 0, 0, 30], INVALID_COLOUR)


# ------------------------------------------------------------------ figures

def test_molecule_map_has_a_colourbar_and_drawings(arrays):
    fig = draw_molecule_map(arrays["molecule_map"], molecules=15)
    ax, cax = fig.axes
    assert cax.get_ylabel() == "gap (Ha)"
    drawn = _drawings(fig)
    assert len(drawn) == 15
    assert "15 drawn" in ax.get_title(loc="left") and "200 test molecules" in ax.get_title(loc="left")
    fig = draw_molecule_map(arrays["molecule_map"], colour_by="logp", show="decoded", molecules=6)
    assert fig.axes[1].get_ylabel() == "logP (Crippen)" and len(_drawings(fig)) == 6
    with pytest.raises(ValueError, match="choose one of gap, logp"):
        draw_molecule_map(arrays["molecule_map"], colour_by="homo")


def test_molecule_map_without_properties_has_no_colourbar(arrays):
    bare = {k: v for k, v in arrays["molecule_map"].items() if not k.startswith("propert") and k != "colour_by"}
    fig = draw_molecule_map(bare, molecules=5)
    assert len(fig.axes) == 1 and len(_drawings(fig)) == 5


def test_molecule_map_renders_without_a_display(tmp_path, arrays):
    """A fresh interpreter with no DISPLAY and no MPLBACKEND: the figure is drawn on Agg, pyplot never loads."""
    np.savez(tmp_path / "molecule_map.npz", **arrays["molecule_map"])
    script = (
        "import sys, numpy as np\n"
        "from vaelab.fileio import load_npz\nfrom vaelab.plots.inputs import save_png\n"
        "from vaelab.plots.molecule_map import draw_molecule_map\n"
        f"fig = draw_molecule_map(load_npz({str(tmp_path / 'molecule_map.npz')!r}), molecules=10)\n"
        f"save_png(fig, {str(tmp_path / 'map.png')!r})\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND", "WAYLAND_DISPLAY")}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    from PIL import Image

    with Image.open(tmp_path / "map.png") as im:
        assert im.size[0] > 800 and im.size[1] > 600


def test_strips_and_histograms_render(arrays):
    fig = draw_molecule_traversals(arrays["molecule_traversals"], max_rows=4)
    assert "the 4 most active of 8 dimensions" in fig.axes[0].get_title()
    fig = draw_molecule_interpolations(arrays["molecule_interpolations"])
    assert [ax.get_title() for ax in fig.axes] == ["linear, between the codes of test molecules A and B",
                                                   "spherical (slerp), between the codes of test molecules A and B"]
    image = fig.axes[0].images[0].get_array()  # the mosaic: first column is molecule A, framed in blue
    np.testing.assert_allclose(image[60, 0], INPUT_COLOUR, atol=1e-6)
    fig = draw_property_histograms(arrays["property_histograms"])
    valid = arrays["property_histograms"]["valid"]
    assert f"valid samples: {valid.sum()} of {valid.size}" in fig._suptitle.get_text()
    assert [ax.get_title() for ax in fig.axes] == ["logP (Crippen)", "QED", "SA score"]


def test_histograms_without_valid_samples(arrays):
    none_valid = dict(arrays["property_histograms"], valid=np.zeros(120, bool),
                      samples=np.full((120, 3), np.nan, np.float32))
    fig = draw_property_histograms(none_valid)
    assert "valid samples: 0 of 120 (0.0%)" in fig._suptitle.get_text()
    assert any(t.get_text() == "no valid samples" for t in fig.axes[0].texts)


def test_registry_draws_molecule_figures_for_tokens_only(runs, tmp_path):
    written, skipped = draw(runs["tokens"], kinds=list(MOLECULE_KINDS) + ["traversals", "samples"],
                            out_dir=tmp_path / "tokens")
    assert sorted(p.stem for p in written) == sorted(MOLECULE_KINDS)
    assert dict(skipped) == {"traversals": TOKENS_REASON, "samples": TOKENS_REASON}
    written, skipped = draw(runs["image16d"], kinds=list(MOLECULE_KINDS), out_dir=tmp_path / "image")
    assert written == []
    assert dict(skipped) == {k: "not token data (binary): molecule figures need a SMILES or SELFIES run"
                             for k in MOLECULE_KINDS}
    assert all(k in FIGURES for k in MOLECULE_KINDS)
