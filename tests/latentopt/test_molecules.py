"""The molecule path (decode -> SMILES -> RDKit) and property optimisation end to end, on a stand-in run."""

import json

import numpy as np
import pytest
import torch

from tests.helpers.stub_molecules import INVALID_RADIUS, stub_molecule_run
from vaelab.errors import ConfigError

pytest.importorskip("rdkit")

FAST = {"epochs": 150, "patience": 15, "batch_size": 256, "lr": 1e-2}


@pytest.fixture
def stub(tmp_path):
    return stub_molecule_run(tmp_path / "run")


def _logp(smiles):
    from rdkit import Chem
    from rdkit.Chem import Crippen

    return Crippen.MolLogP(Chem.MolFromSmiles(smiles))


def test_points_decode_to_known_molecules_with_their_real_property(stub):
    from vaelab.latentopt.molecules import check_points

    run, codes, smiles = stub
    far = torch.full((1, 4), INVALID_RADIUS)  # decodes to an unclosed ring
    z = torch.stack([torch.cat([codes[:2], far]), torch.cat([codes[2:3], codes[2:3], codes[0:1]])])  # (C=2, K=3, d)
    check = check_points(run.decode_smiles, z, np.array([0, 5]), "logp")
    assert check.smiles.tolist() == [[smiles[0], smiles[1], None], [smiles[2], smiles[2], smiles[0]]]
    assert check.valid.tolist() == [[True, True, False], [True, True, True]]
    assert check.validity.tolist() == pytest.approx([2 / 3, 1.0])
    assert check.real[0, 0] == pytest.approx(_logp(smiles[0])) and np.isnan(check.real[0, 2])
    assert check.real[1, 1] == pytest.approx(_logp(smiles[2]))
    predicted_only = check_points(run.decode_smiles, z, np.array([0, 5]), None)
    assert np.isnan(predicted_only.real).all() and predicted_only.valid.tolist() == check.valid.tolist()


def test_paths_are_deduplicated_and_the_best_molecules_ranked():
    from vaelab.latentopt.molecules import PathCheck, best_molecules, path_molecules

    smiles = np.array([["CCO", "c1ccccc1"], ["CCO", None], ["CCCCO", "CCO"]], dtype=object)  # (C=3, K=2)
    real = np.array([[-0.1, 1.7], [-0.1, np.nan], [0.8, -0.1]])
    check = PathCheck(np.array([0, 10, 20]), smiles, smiles != None, real)  # noqa: E711
    paths = path_molecules(check, predicted=np.zeros((3, 2)))
    assert [[m["smiles"] for m in p] for p in paths] == [["CCO", "CCCCO"], ["c1ccccc1", "CCO"]]
    assert paths[0][1]["step"] == 20 and paths[1][1]["step"] == 20
    best = best_molecules(paths, n=2, sign=1.0)
    assert [m["smiles"] for m in best] == ["c1ccccc1", "CCCCO"]
    assert [m["smiles"] for m in best_molecules(paths, n=5, sign=-1.0, exclude={"CCO"})] == ["CCCCO", "c1ccccc1"]
    first = best_molecules(paths, n=5, sign=-1.0)[0]  # CCO met on both paths: the earliest appearance counts
    assert first["smiles"] == "CCO" and first["step"] == 0 and first["path"] == 0


def test_logp_optimisation_improves_the_real_property(stub):
    from vaelab.latentopt import optimize_property
    from vaelab.latentopt.predictor_store import fitted_predictor
    from vaelab.latentopt.targets import resolve

    run, _, _ = stub
    fitted_predictor(run, resolve(run, "logp"), FAST, progress=False)  # a quick fit, reused below
    result = optimize_property(run, "logp", starts=5, steps=80, lr=0.05, penalty=0.1, checks=10, progress=False)
    s = result.summary
    assert s["predicted_only"] is False and s["settings"]["direction"] == "maximize"
    assert s["predictor"]["r2_valid"] > 0.8  # logP is the codes' first coordinate
    assert s["predicted"]["improvement"]["mean"] > 0
    m = s["molecules"]
    assert m["validity_start"] == 1.0 and len(m["validity_per_step"]) == len(m["checked_steps"]) == 11
    assert m["real"]["best_along_path_improvement"]["mean"] > 0.5  # decoded molecules really have a higher logP
    assert m["real"]["end_mean"] > m["real"]["start_mean"]
    best = m["best"][0]
    assert best["real"] == pytest.approx(_logp(best["smiles"])) and best["step"] > 0
    assert best["smiles"] not in {st["smiles"] for st in m["starts"]}
    folder = run.path / "lso" / "logp"
    for name in ("predictor.safetensors", "predictor.json", "result.json", "summary.md", "paths.npz", "paths.png"):
        assert (folder / name).is_file(), name
    assert json.loads((folder / "result.json").read_text())["molecules"]["best"][0]["smiles"] == best["smiles"]
    assert best["smiles"] in (folder / "summary.md").read_text()


def test_quantum_properties_are_predicted_only(stub):
    from vaelab.latentopt import optimize_property
    from vaelab.latentopt.predictor_store import fitted_predictor
    from vaelab.latentopt.targets import resolve

    run, _, _ = stub
    fitted_predictor(run, resolve(run, "gap"), FAST, progress=False)
    s = optimize_property(run, "gap", starts=3, steps=20, checks=4, progress=False).summary
    assert s["predicted_only"] and s["source"] == "column" and "predicted only" in s["description"]
    assert "real" not in s["molecules"] and s["molecules"]["ranked_by"] == "predicted"
    assert all(m["real"] is None for m in s["molecules"]["best"])


def test_sa_is_minimised_by_default_and_names_are_checked(stub):
    from vaelab.latentopt.optimize import _direction
    from vaelab.latentopt.targets import resolve

    run, _, _ = stub
    assert _direction(resolve(run, "sa"), None) == "minimize" and _direction(resolve(run, "qed"), None) == "maximize"
    with pytest.raises(ConfigError, match=r"unknown property 'gapp'.*logp, qed, sa, mw, mu, homo, lumo, gap"):
        resolve(run, "gapp")


def test_match_mode_refuses_token_runs(stub):
    from vaelab.latentopt import match_targets

    with pytest.raises(ConfigError, match="token data.*--property"):
        match_targets(stub[0], progress=False)
