"""Property optimisation on a real (tiny, barely trained) SMILES VAE: the whole path runs on sequence models."""

from pathlib import Path

import pytest
import torch

from vaelab.errors import ConfigError

pytest.importorskip("rdkit")
FIXTURE = Path(__file__).resolve().parents[1] / "chem" / "fixtures" / "qm9_200.csv"
SMALL = {"latent_dim": 4, "seq_embedding": 8, "seq_hidden": 16, "seq_dense": 16, "conv_channels": [4, 4, 8, 8],
         "decoder_hidden": [16], "seq_encoder": "gru", "seq_decoder": "gru"}


@pytest.fixture(scope="module")
def token_run(tmp_path_factory):
    import vaelab

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny GRUs: threads cost more than they give
    try:
        cfg = {"data": {"name": "smiles", "options": {"path": str(FIXTURE)}}, "model": {"name": "vae", **SMALL},
               "train": {"epochs": 1, "batch_size": 80, "progress": False}}
        yield vaelab.train(cfg, out=tmp_path_factory.mktemp("lso-tokens") / "run")
    finally:
        torch.set_num_threads(threads)


def test_property_optimisation_on_a_smiles_vae(token_run):
    import vaelab
    from vaelab.latentopt import fitted_predictor, resolve

    fitted_predictor(token_run, resolve(token_run, "qed"), {"epochs": 20, "lr": 1e-2}, progress=False)
    s = vaelab.lso(token_run, "qed", starts=3, steps=10, progress=False).summary
    m = s["molecules"]
    assert s["source"] == "rdkit" and not s["predicted_only"]
    assert m["checked_steps"][0] == 0 and m["checked_steps"][-1] == 10
    assert all(0.0 <= v <= 1.0 for v in m["validity_per_step"])
    assert len(m["starts"]) == 3 and all(b["real"] is not None for b in m["best"])  # ranked by real QED: valid only
    assert (token_run.path / "lso" / "qed" / "paths.png").is_file()


def test_match_mode_refuses_a_token_run(token_run):
    import vaelab

    with pytest.raises(ConfigError, match="token data"):
        vaelab.lso(token_run, task="match", progress=False)


def test_cli_molecule_map_options_and_evaluate_defaults_on_a_token_run(token_run, capsys):
    import json

    from vaelab.cli.main import main

    run_dir = str(token_run.path)
    assert main(["evaluate", run_dir, "--limit", "20", "--no-fd"]) == 0
    d = json.loads((token_run.path / "diagnostics.json").read_text())
    assert d["iw_samples"] == 100 and "molecules" in d  # K=100 by default on token data, not Burda's 5000
    assert main(["plot", run_dir, "--kind", "molecule-map", "--show", "decoded", "--colour-by", "qed"]) == 0
    assert (token_run.path / "plots" / "molecule-map.png").is_file()
    capsys.readouterr()
    assert main(["plot", run_dir, "--kind", "molecule-map", "--colour-by", "nope"]) == 2
    err = capsys.readouterr().err
    assert "colour_by='nope'" in err and "qed" in err and "Traceback" not in err
