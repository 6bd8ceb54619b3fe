"""The loaded Run: batched encoding and decoding with side inputs, cached split means, a limited view."""

import numpy as np
import pytest
import torch

import vaelab
from tests.helpers import tiny_config
from vaelab.errors import CheckpointError
from vaelab.rundir import Run, load_run


@pytest.fixture(scope="module")
def cvae_run(tmp_path_factory) -> Run:
    """A conditional VAE, so every batched method has to pass the labels along."""
    cfg = tiny_config(epochs=1)
    cfg["model"]["name"] = "cvae"
    return vaelab.train(cfg, out=tmp_path_factory.mktemp("rundir") / "cvae")


def test_encode_means_equals_one_big_encode_with_the_labels(cvae_run):
    run = cvae_run
    x, side = run.eval_data("valid"), run.eval_side("valid")
    assert set(side) == {"y"}
    full = run.model.encode(x, **side).mean  # (N, d), one call
    torch.testing.assert_close(run.encode_means("valid", batch_size=7), full)
    rows = np.array([5, 0, 3])
    torch.testing.assert_close(run.encode_means("valid", rows=rows, batch_size=2), full[rows])
    mu, logvar = run.encode_posterior("valid", rows=rows)
    torch.testing.assert_close(logvar, run.model.encode(x, **side).logvar[rows])


def test_split_means_are_computed_once(cvae_run, monkeypatch):
    run = load_run(cvae_run.path)
    first = run.encode_means("test")
    monkeypatch.setattr(run, "encode_posterior", lambda *a, **k: pytest.fail("encoded the split twice"))
    torch.testing.assert_close(run.encode_means("test"), first)


def test_decode_means_passes_side_inputs_in_batches(cvae_run):
    run = cvae_run
    z = torch.randn(9, run.model.latent_dim, generator=torch.Generator().manual_seed(0))
    y = torch.arange(9) % 3
    torch.testing.assert_close(run.decode_means(z, side={"y": y}, batch_size=4), run.model.decode(z, y=y).mean)


def test_limited_is_a_view_of_a_seeded_subset(cvae_run):
    from vaelab.rundir.run import subset_index

    small = cvae_run.limited("test", 10)
    n = len(cvae_run.eval_data("test"))
    idx = subset_index(n, 10)  # the same rows every time, not the first ten (a split may be sorted by label)
    assert len(small.eval_data("test")) == 10 and n > 10
    torch.testing.assert_close(small.eval_data("test"), cvae_run.eval_data("test")[idx])
    torch.testing.assert_close(small.encode_means("test"), cvae_run.encode_means("test")[idx])
    assert small.model is cvae_run.model


def test_load_run_takes_a_run_or_a_run_directory(cvae_run, tmp_path):
    assert load_run(cvae_run) is cvae_run
    with pytest.raises(CheckpointError, match="not a run directory"):
        load_run(tmp_path)


def test_stored_records_are_read_per_split_and_a_damaged_one_is_named(cvae_run, tmp_path):
    import json
    import shutil

    from vaelab.errors import DamagedFile

    run = load_run(shutil.copytree(cvae_run.path, tmp_path / "run"))
    (run.path / "diagnostics-valid.json").write_text(json.dumps({"split": "valid", "fd_prior": 1.0}))
    assert run.diagnostics == {} and run.diagnostics_of("valid")["split"] == "valid"
    (run.path / "summary.json").write_text("[1, 2]")
    with pytest.raises(DamagedFile, match=r"summary.json' is damaged or not a .json file \(not a JSON object\)"):
        _ = run.summary


def test_limited_cuts_a_molecule_splits_smiles_too(token_run):
    """The FCD's reference is the evaluated split's SMILES: a limited view compares with the same molecules."""
    from vaelab.rundir import load_run

    run = load_run(token_run)
    from vaelab.rundir.run import subset_index

    small = run.limited("test", 3)
    idx = subset_index(len(run.data.info["smiles"]["test"]), 3).tolist()
    assert small.data.info["smiles"]["test"] == [run.data.info["smiles"]["test"][i] for i in idx]
    assert torch.equal(small.data.test.x, run.data.test.x[idx])  # the same molecules as the tokens evaluated
    assert small.data.info["smiles"]["train"] is run.data.info["smiles"]["train"]
    assert len(run.data.info["smiles"]["test"]) > 3
