"""``vaelab sample``: arrays and a PNG grid per sampler; user errors are one line without a traceback."""

import subprocess
import sys

import numpy as np
import pytest

from vaelab.cli.main import main
from vaelab.pipeline.samples import draw_grid, load_samples

ARGS = {"prior": [], "gaussian": [], "gmm": ["--option", "components=3"],
        "two-stage": ["--option", "epochs=1", "--option", "hidden=[16]"]}


@pytest.fixture(scope="module")
def shared_run(trained_run, tmp_path_factory):
    import shutil

    return shutil.copytree(trained_run, tmp_path_factory.mktemp("cli") / "run")


@pytest.mark.parametrize("name", list(ARGS))
def test_sample_writes_arrays_and_a_grid(name, shared_run, capsys):
    assert main(["sample", str(shared_run), "--n", "20", "--sampler", name, "--seed", "7", *ARGS[name]]) == 0
    out = capsys.readouterr().out
    npz, png = shared_run / "samples" / f"{name}-20-seed7.npz", shared_run / "samples" / f"{name}-20-seed7.png"
    assert str(npz) in out and str(png) in out
    a = load_samples(npz)
    assert a["x"].shape == (20, 1, 8, 8) and a["x"].dtype == np.float32
    assert a["z"].shape == (20, 4) and a["z"].dtype == np.float32
    assert a["kind"] == "binary" and str(a["sampler"]) == name
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if name == "gmm":
        assert "component weights" in out and "3/3" in out


def test_sample_again_reuses_the_fit_and_out_moves_the_files(shared_run, tmp_path, capsys):
    assert main(["sample", str(shared_run), "--sampler", "gaussian", "--n", "5", "--out", str(tmp_path)]) == 0
    assert "earlier (reused)" in capsys.readouterr().out
    assert (tmp_path / "gaussian-5-seed0.npz").is_file()
    assert main(["sample", str(shared_run), "--sampler", "gmm", "--n", "5"]) == 2  # fitted with components=3
    assert "--refit" in capsys.readouterr().err
    assert main(["sample", str(shared_run), "--sampler", "gmm", "--n", "5", "--refit", "--no-progress"]) == 0


@pytest.mark.parametrize("args,needle", [
    (["/nonexistent/run"], "not a run directory"),
    (["RUN", "--sampler", "gauss"], "unknown sampler 'gauss'. Did you mean 'gaussian'? Choose one of: prior, "),
    (["RUN", "--sampler", "gmm", "--option", "k=3"], "unknown option(s) k for sampler 'gmm'"),
    (["RUN", "--n", "0"], "argument --n: expected a whole number >= 1"),
])
def test_bad_input_is_one_message(args, needle, shared_run, capsys):
    assert main(["sample", *[str(shared_run) if a == "RUN" else a for a in args]]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1


def test_prior_without_a_prior_exits_with_the_advice(shared_run, monkeypatch, capsys):
    from vaelab.models.base import LatentVariableModel

    monkeypatch.setattr(LatentVariableModel, "has_prior", False)
    assert main(["sample", str(shared_run), "--sampler", "prior"]) == 2
    assert "has no prior" in capsys.readouterr().err


def test_errors_in_a_real_process_have_no_traceback(shared_run):
    r = subprocess.run([sys.executable, "-m", "vaelab", "sample", str(shared_run), "--sampler", "nope"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "unknown sampler 'nope'" in r.stderr and "Traceback" not in r.stderr


def test_grid_is_skipped_for_vectors_and_tokens(tmp_path):
    x = np.zeros((4, 10), dtype=np.float32)
    png, why = draw_grid(tmp_path / "v.png", x, (10,), "real", "t")
    assert png is None and "not images" in why and not (tmp_path / "v.png").exists()
    png, why = draw_grid(tmp_path / "t.png", x, (10,), "tokens", "t")
    assert png is None and "token data" in why
    png, _ = draw_grid(tmp_path / "i.png", np.random.rand(4, 3, 8, 8).astype(np.float32), (3, 8, 8), "unit", "t")
    assert png.is_file()
