"""The CLI on a real (tiny) SMILES VAE: molecule-map options and the token-data evaluate defaults."""

import pytest

pytest.importorskip("rdkit")


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
