"""vaelab.train(data=<arrays>): NumPy arrays and torch tensors become RUN_DIR/inputs.npz, named in config.yaml."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import yaml

import vaelab
from tests.helpers import vaelab as cli
from vaelab.errors import ConfigError, DataError, VaelabError

SMALL = ["train.progress=false", "model.hidden=[16]"]


def xy(n=120, d=6, classes=3):
    rng = np.random.default_rng(0)
    return rng.random((n, d)).astype(np.float32), rng.integers(0, classes, n)


def test_numpy_x_and_labels_train_a_cvae_whose_run_works_later_from_anywhere(tmp_path):
    x, y = xy()
    run = vaelab.train(data=(x, y), model="cvae", epochs=1, latent_dim=2, out=tmp_path / "run", overrides=SMALL)
    cfg = yaml.safe_load((run.path / "config.yaml").read_text())
    assert cfg["data"]["name"] == "array" and cfg["data"]["options"]["path"] == str((run.path / "inputs.npz").resolve())
    with np.load(run.path / "inputs.npz") as saved:
        assert sorted(saved.files) == ["x", "y"] and np.array_equal(saved["x"], x) and np.array_equal(saved["y"], y)
    assert run.data.n_classes == 3 and len(run.data.train) + len(run.data.valid) + len(run.data.test) == 120
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # nothing staged is left behind
    (tmp_path / "elsewhere").mkdir()
    r = cli("evaluate", run.path, "--iw-samples", "5", "--no-fd", "--no-progress", cwd=tmp_path / "elsewhere")
    assert r.returncode == 0, r.stderr
    assert vaelab.sample(run.path, n=4, sampler="prior", progress=False).x.shape == (4, 6)
    resumed = vaelab.train(resume=True, out=run.path, epochs=2, overrides=["train.progress=false"])
    assert resumed.metrics()[-1]["epoch"] == 2


def test_a_torch_tensor_alone_keeps_its_event_shape_and_options_apply(tmp_path):
    run = vaelab.train(data=torch.rand(80, 2, 3), epochs=1, latent_dim=2, out=tmp_path / "run",
                       overrides=[*SMALL, "data.options.kind=real"])
    assert (run.data.event_shape, run.data.kind, run.data.train.y) == ((2, 3), "real", None)


def test_a_dict_gives_scores_too(tmp_path):
    x, y = xy()
    run = vaelab.train(data={"x": torch.from_numpy(x), "y": y, "score": np.linspace(0, 1, 120)}, epochs=1,
                       latent_dim=2, out=tmp_path / "run", overrides=SMALL)
    assert run.data.train.score is not None and run.data.train.y is not None


@pytest.mark.parametrize("data, error, message", [
    (xy()[0].astype(object), DataError, r"^data: 'x' has dtype object; pass numbers"),
    ((xy()[0], xy()[1].astype(float)), DataError, r"^data: the labels y have dtype float64; pass integer class"),
    ((xy()[0], xy()[1][:5]), DataError, r"^data: 'y' has shape \(5,\); it needs one value per example of x: \(120,\)"),
    ({"x": xy()[0], "labels": xy()[1]}, ConfigError, r"^data: the dict has unknown key\(s\) labels; keys: x"),
    ((xy()[0], None, None), ConfigError, r"^data: a tuple of 3 items; pass data=x, data=\(x, y\) or data=\{"),
    ([[0.5, 0.5]], ConfigError, r"^data: 'x' is of type list, not an array"),
    (np.array(1.0), DataError, r"^data: x is a single number"),
])
def test_bad_arrays_are_one_line_and_leave_nothing(tmp_path, data, error, message):
    with pytest.raises(error, match=message):
        vaelab.train(data=data, epochs=1, out=tmp_path / "run", overrides=SMALL)
    assert list(tmp_path.iterdir()) == []


def test_arrays_pass_the_checks_of_every_dataset_before_a_folder_is_made(tmp_path):
    x = xy()[0]
    x[7, 0] = np.inf
    with pytest.raises(DataError, match=r"^dataset 'array': x holds NaN or Inf .* \(row 7, counting from 0\)"):
        vaelab.train(data=x, epochs=1, out=tmp_path / "run", overrides=SMALL)
    with pytest.raises(ConfigError, match=r"^model 'cvae' is conditional and needs labelled data"):
        vaelab.train(data=xy()[0], model="cvae", epochs=1, out=tmp_path / "run", overrides=SMALL)
    assert list(tmp_path.iterdir()) == []


def test_a_resumed_run_keeps_its_own_arrays(tmp_path):
    run = vaelab.train(data=xy()[0], epochs=1, out=tmp_path / "run", overrides=SMALL)
    with pytest.raises(VaelabError, match=r"a resumed run reads the arrays it was given from RUN_DIR/inputs.npz"):
        vaelab.train(data=xy()[0], resume=True, out=run.path, epochs=2)
