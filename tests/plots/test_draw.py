import json
import shutil
import sys

import numpy as np
import pytest
from PIL import Image

from vaelab.plots import FIGURES, draw, figure_options
from vaelab.plots.errors import TOKENS_REASON

IMAGE_KINDS = {"lattice", "traversals", "interpolations", "reconstructions", "samples"}
MOLECULE_KINDS = {"molecule-map", "molecule-traversals", "molecule-interpolations", "property-histograms"}


def _not_tokens(kind):
    return {k: f"not token data ({kind}): molecule figures need a SMILES or SELFIES run" for k in MOLECULE_KINDS}


def _check_png(path):
    with Image.open(path) as im:
        assert im.format == "PNG"
        w, h = im.size
        assert 250 < w < 2500 and 150 < h < 2500, (path.name, im.size)
        pixels = np.asarray(im.convert("L"), dtype=np.float64)
    assert pixels.std() > 5, path.name  # not blank


def _no_leftovers(out_dir):
    assert not [p for p in out_dir.iterdir() if p.suffix != ".png"], "temporary files left behind"


@pytest.mark.parametrize("case, skipped", [
    ("image2d", _not_tokens("unit")),
    ("image16d", _not_tokens("binary")),
    ("vector10", {"bubbles": "deterministic encoder", **_not_tokens("real")}),
    ("tokens", {k: TOKENS_REASON for k in IMAGE_KINDS}),
])
def test_draw_writes_every_figure_that_applies(runs, case, skipped):
    run = runs[case]
    pyplot = sys.modules.get("matplotlib.pyplot")
    figures_before = set(pyplot.get_fignums()) if pyplot else set()
    written, reported = draw(run)
    assert dict(reported) == skipped
    assert sorted(p.stem for p in written) == sorted(set(FIGURES) - set(skipped))
    for path in written:
        assert path.parent == run / "plots"
        _check_png(path)
    _no_leftovers(run / "plots")
    if pyplot:  # no figure was registered with pyplot
        assert set(pyplot.get_fignums()) == figures_before


def test_missing_inputs_are_reported_not_raised(tmp_path, runs):
    run = tmp_path / "run"
    shutil.copytree(runs["image16d"], run)
    for name in ("arrays/lattice.npz", "arrays/posterior_test.npz", "metrics.jsonl"):
        (run / name).unlink()
    written, skipped = draw(run, out_dir=tmp_path / "out")
    reasons = dict(skipped)
    assert reasons == {"lattice": "missing arrays/lattice.npz",
                       "latent-scatter": "missing arrays/posterior_test.npz",
                       "bubbles": "missing arrays/posterior_test.npz",
                       "curves": "missing metrics.jsonl", **_not_tokens("binary")}
    assert {p.name for p in written} == {"traversals.png", "interpolations.png", "reconstructions.png",
                                         "samples.png", "activity.png"}
    assert all(p.parent == tmp_path / "out" for p in written)
    written, skipped = draw(tmp_path / "empty")
    assert written == [] and [k for k, _ in skipped] == list(FIGURES)
    assert all(reason.startswith("missing ") for _, reason in skipped)


def test_missing_arrays_and_keys_are_reported(tmp_path):
    run = tmp_path / "run"
    (run / "arrays").mkdir(parents=True)
    np.savez(run / "arrays" / "lattice.npz", dims=np.array([0, 1]))  # no grid, no x
    (run / "diagnostics.json").write_text(json.dumps({"neg_elbo": 1.0}))
    (run / "metrics.jsonl").write_text("")
    written, skipped = draw(run, kinds=["lattice", "activity", "curves"])
    assert written == []
    reasons = dict(skipped)
    assert reasons["lattice"] == "lattice.npz has no 'x'"
    assert "activity_per_dim" in reasons["activity"]
    assert reasons["curves"] == "metrics.jsonl has no records"


def test_unknown_kinds_and_options_are_rejected(runs):
    with pytest.raises(ValueError, match="valid kinds: curves, activity, latent-scatter, bubbles"):
        draw(runs["image2d"], kinds=["latent-scatter", "histogram"])
    with pytest.raises(ValueError, match="valid options"):
        draw(runs["image2d"], kinds="activity", projection="pca")
    assert "projection" in figure_options("latent-scatter")


def test_options_reach_the_figures_that_take_them(tmp_path, runs):
    out = tmp_path / "out"
    written, skipped = draw(runs["image16d"], kinds=["bubbles", "traversals", "latent-scatter"], out_dir=out,
                            dims=(3, 5), max_rows=4, columns=5, projection="pca", max_points=300)
    assert skipped == [] and len(written) == 3
    for path in written:
        _check_png(path)
    with pytest.raises(ValueError, match="two different latent dimensions"):
        draw(runs["image16d"], kinds="bubbles", out_dir=out, dims=(3, 3))


def test_split_option_picks_the_posterior_file(tmp_path, runs):
    run = tmp_path / "run"
    shutil.copytree(runs["image2d"], run)
    (run / "arrays" / "posterior_test.npz").rename(run / "arrays" / "posterior_valid.npz")
    written, skipped = draw(run, kinds=["latent-scatter", "bubbles"], split="valid")
    assert skipped == [] and [p.name for p in written] == ["latent-scatter.png", "bubbles.png"]
    _, skipped = draw(run, kinds="latent-scatter")
    assert skipped == [("latent-scatter", "missing arrays/posterior_test.npz")]


def test_redraw_replaces_the_file(tmp_path, runs):
    out = tmp_path / "out"
    (first,), _ = draw(runs["image2d"], kinds="samples", out_dir=out)
    before = first.stat().st_mtime_ns
    (second,), _ = draw(runs["image2d"], kinds="samples", out_dir=out, max_items=9)
    assert second == first and second.stat().st_mtime_ns >= before
    _no_leftovers(out)
