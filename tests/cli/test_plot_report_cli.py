"""`vaelab evaluate` -> `vaelab plot` -> `vaelab report` in subprocesses, as a user chains them."""

import json

import numpy as np
import pytest
from PIL import Image

from tests.helpers import vaelab

KINDS = ["latent-scatter", "bubbles", "lattice", "traversals", "interpolations", "reconstructions", "samples",
         "activity", "curves"]


@pytest.fixture(scope="module")
def image_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "img"
    r = vaelab("train", "--data", "synthetic", "--epochs", "2", "--latent-dim", "3", "--set", "data.options.n=400",
               "--set", "data.options.image_side=8", "--set", "model.hidden=[32]", "--out", out, "--no-progress")
    assert r.returncode == 0, r.stderr
    return out


def test_evaluate_plot_report_chain(image_run, tmp_path):
    r = vaelab("evaluate", image_run, "--iw-samples", "20")
    assert r.returncode == 0, r.stderr
    assert "mutual information" in r.stdout and "FD (feature net) N-sampler" in r.stdout
    fd = json.loads((image_run / "diagnostics.json").read_text())["fd"]
    assert fd["n_sampler"] == "prior" and "fd_gmm" in fd
    r = vaelab("plot", image_run)
    assert r.returncode == 0, r.stderr
    for kind in KINDS:
        png = image_run / "plots" / f"{kind}.png"
        assert png.is_file(), (kind, r.stdout)
        pixels = np.asarray(Image.open(png).convert("L"), dtype=np.float32)
        assert pixels.std() > 5, f"{kind}.png looks blank"
    assert {p.stem for p in (image_run / "arrays").glob("*.npz")} >= {"posterior_test", "traversals", "lattice"}
    report = tmp_path / "report.html"
    r = vaelab("report", image_run, image_run, "--out", report)
    assert r.returncode == 0, r.stderr
    html = report.read_text()
    assert html.count("data:image/png;base64,") >= 2 * len(KINDS)
    assert "FD (feature net)" in html and "http://" not in html.replace("http://www.w3.org", "")


def test_plot_redraws_from_saved_arrays_without_the_model(image_run):
    assert vaelab("plot", image_run, "--kind", "samples").returncode == 0
    for ckpt in (image_run / "checkpoints").glob("epoch_*/model.safetensors"):
        ckpt.rename(ckpt.with_suffix(".moved"))
    try:
        r = vaelab("plot", image_run, "--kind", "samples", "--kind", "activity")
        assert r.returncode == 0, r.stderr  # arrays exist: no model needed
    finally:
        for moved in (image_run / "checkpoints").glob("epoch_*/model.moved"):
            moved.rename(moved.with_suffix(".safetensors"))


def test_plot_options_and_recompute(image_run):
    r = vaelab("plot", image_run, "--kind", "lattice", "--lattice-dims", "2,0", "--kind", "traversals",
               "--traverse-from", "data", "--kind", "latent-scatter", "--projection", "tsne")
    assert r.returncode == 0, r.stderr
    lattice = np.load(image_run / "arrays" / "lattice.npz")
    assert list(lattice["dims"]) == [2, 0]
    assert str(np.load(image_run / "arrays" / "traversals.npz")["base"]) == "data"


@pytest.mark.parametrize("args, message", [
    (["plot", "/nonexistent/run"], "not a run directory"),
    (["plot", "RUN", "--lattice-dims", "0,9"], "lattice needs two latent dimensions"),
    (["report", "/nonexistent/run", "--out", "x.html"], "/nonexistent/run"),
    (["evaluate", "RUN", "--iw-samples", "0", "--fd-sampler", "kde"], "kde"),
])
def test_bad_input_gives_one_line(args, message, image_run, tmp_path):
    args = [str(image_run) if a == "RUN" else a for a in args]
    r = vaelab(*args, cwd=tmp_path)
    assert r.returncode == 2 and message in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_plot_without_evaluate_skips_only_the_activity(tmp_path):
    out = tmp_path / "run"
    assert vaelab("train", "--data", "synthetic", "--epochs", "1", "--set", "data.options.n=300", "--out", out,
                  "--no-progress").returncode == 0
    r = vaelab("plot", out)
    assert r.returncode == 0, r.stderr
    assert "skipped activity" in r.stdout and "diagnostics.json" in r.stdout
    assert (out / "plots" / "curves.png").is_file() and (out / "plots" / "latent-scatter.png").is_file()
    assert json.loads((out / "summary.json").read_text())["status"] == "completed"
