"""Property optimisation on a real (tiny, barely trained) SMILES VAE: the whole path runs on sequence models."""

import pytest

from vaelab.errors import ConfigError

pytest.importorskip("rdkit")


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
