"""The CLI on a real (tiny) SMILES VAE: molecule-map options, the token-data evaluate defaults, SMILES samples."""

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


def test_sample_on_a_token_run_writes_smiles_counts_and_drawings(token_run, tmp_path, capsys):
    from vaelab.cli.main import main
    from vaelab.pipeline.samples import load_samples

    assert main(["sample", str(token_run.path), "--n", "12", "--seed", "3", "--out", str(tmp_path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    smi, npz, png = (tmp_path / f"prior-12-seed3.{ext}" for ext in ("smi", "npz", "png"))
    assert all(f"wrote {p}" in out for p in (smi, npz, png))
    lines = smi.read_text().split("\n")
    assert len(lines) == 13 and lines[-1] == ""  # one SMILES per line, line i for sample i
    a = load_samples(npz)
    assert a["smiles"].tolist() == lines[:-1] and a["valid"].dtype == bool and a["z"].shape == (12, 4)
    assert "x" not in a and str(a["kind"]) == "tokens"  # no token ids posing as float pixels
    valid = int(a["valid"].sum())
    unique = len(set(a["smiles"][a["valid"]].tolist()))
    assert f"{valid}/12 valid" in out and f"{unique} unique among the valid" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_molecule_samples_without_rdkit_keep_the_smiles_and_say_why_there_is_no_picture(token_run, tmp_path,
                                                                                         monkeypatch):
    from vaelab.chem.deps import MissingExtra
    from vaelab.pipeline import samples

    def no_rdkit(*args, **kwargs):
        raise MissingExtra("molecule support needs the package 'rdkit'")

    monkeypatch.setattr(samples, "canonical_or_decoded", no_rdkit)
    result = samples.write_samples(token_run, "prior", 5, out=tmp_path, progress=False)
    assert result.png is None and "RDKit is not installed" in result.png_skipped
    assert result.molecules == {"n": 5, "valid": None, "unique": None}
    assert len(result.smi.read_text().splitlines()) == 5 and not (tmp_path / "prior-5-seed0.png").exists()
