"""The molecule datasets: smiles (a user file), qm9 and zinc, as token DataBundles."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("rdkit", reason="molecule tests need RDKit: pip install 'vaelab[chem]'")
pytest.importorskip("selfies", reason="molecule tests need SELFIES: pip install 'vaelab[chem]'")

from vaelab.chem import SelfiesTokenizer, Vocabulary, canonicalize_one  # noqa: E402
from vaelab.config import DataConfig  # noqa: E402
from vaelab.data import get_spec, load_data  # noqa: E402
from vaelab.errors import DataError  # noqa: E402

QM9_200 = Path(__file__).parent / "fixtures" / "qm9_200.csv"
INFO_KEYS = {"source", "tokenizer", "vocabulary", "max_len", "smiles", "properties", "property_names",
             "property_units", "score", "source_lines", "report", "messages", "summary", "cache"}


def load(name, data=None, **options):
    return load_data(DataConfig(name=name, options=options, **(data or {})))


def _quiet_load(name, data=None, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to warn about: fail if anything is
        return load(name, data, **options)


# ---------------------------------------------------------------- smiles: the fixture

def test_qm9_fixture_loads_as_a_token_bundle():
    b = _quiet_load("smiles", path=str(QM9_200))
    L = b.info["max_len"] + 2
    assert (b.kind, b.event_shape) == ("tokens", (L,))
    assert (len(b.train), len(b.valid), len(b.test)) == (160, 20, 20)
    assert set(b.info) == INFO_KEYS
    for split in ("train", "valid", "test"):
        s = b.split(split)
        assert s.x.dtype == torch.int64 and s.x.shape == (len(s), L) and s.y is None
        assert len(b.info["smiles"][split]) == len(s) == len(b.info["source_lines"][split])
        assert b.info["properties"][split].shape == (len(s), 4)
    assert b.info["property_names"] == ["mu", "homo", "lumo", "gap"]  # every numeric column but the row id
    assert b.info["score"] == "mu" and torch.equal(b.train.score, torch.as_tensor(
        b.info["properties"]["train"][:, 0]))


def test_rows_decode_to_their_canonical_smiles_and_properties_follow_the_rows():
    b = load("smiles", path=str(QM9_200), properties=["homo", "lumo", "gap"], score="gap")
    vocab = Vocabulary.from_dict(b.info["vocabulary"])
    assert vocab.decode(b.train.x) == b.info["smiles"]["train"]
    # the fixture's line n holds the molecule of row n - 2 in file order; check the test split against it
    rows = QM9_200.read_text().splitlines()
    for line, smiles, (homo, lumo, gap) in zip(b.info["source_lines"]["test"], b.info["smiles"]["test"],
                                              b.info["properties"]["test"]):
        fields = rows[line - 1].split(",")
        assert canonicalize_one(fields[1]) == smiles
        assert np.allclose([homo, lumo, gap], [float(v) for v in fields[3:6]])
    assert np.allclose(b.test.score.numpy(), b.info["properties"]["test"][:, 2])


def test_vocabulary_comes_from_training_molecules_only():
    b = load("smiles", path=str(QM9_200))
    vocab = Vocabulary.from_dict(b.info["vocabulary"])
    assert vocab.tokens[4:] == sorted({t for row in vocab.decode_tokens(b.train.x) for t in row})
    assert b.info["max_len"] == max(int((s.x != 0).sum(1).max()) for s in (b.train, b.valid, b.test)) - 2


def test_selfies_tokens_decode_back_to_the_same_molecules():
    b = load("smiles", path=str(QM9_200), tokenizer="selfies")
    assert b.info["tokenizer"] == "selfies"
    texts = Vocabulary.from_dict(b.info["vocabulary"]).decode(b.valid.x)
    back = [canonicalize_one(s) for s in SelfiesTokenizer().to_smiles(texts)]
    assert back == b.info["smiles"]["valid"]


@pytest.mark.filterwarnings("ignore:smiles. valid. 1 molecules hold tokens never seen")
def test_data_limit_cuts_training_and_keeps_info_aligned():
    full = _quiet_load("smiles", path=str(QM9_200))
    b = load("smiles", {"limit": 50}, path=str(QM9_200))
    assert len(b.train) == 50 and len(b.info["smiles"]["train"]) == 50
    assert b.info["properties"]["train"].shape[0] == 50 and (len(b.valid), len(b.test)) == (20, 20)
    assert b.info["max_len"] == full.info["max_len"]  # the padding length does not shrink with the limit
    assert all(b.info["report"][s]["too_long"]["count"] == 0 for s in ("train", "valid", "test"))


# ---------------------------------------------------------------- what is skipped is said

def test_invalid_lines_are_reported_with_line_numbers(tmp_path):
    text = QM9_200.read_text().splitlines()
    text[3] = "9,C1CC,1,2,3,4"  # line 4
    text[10] = "9,not-smiles,1,2,3,4"  # line 11
    (tmp_path / "m.csv").write_text("\n".join(text) + "\n")
    with pytest.warns(UserWarning, match=r"2 of 200 entries skipped, not valid SMILES.*line 4: 'C1CC'.*line 11"):
        b = load("smiles", {"valid_fraction": 0.0, "test_fraction": 0.0}, path=str(tmp_path / "m.csv"))
    r = b.info["report"]["train"]
    assert (r["read"], r["invalid"]["count"], r["kept"], len(b.train)) == (200, 2, 198, 198)
    assert r["invalid"]["examples"] == [[4, "C1CC"], [11, "not-smiles"]]
    assert "1 note" in b.info["summary"] and len(b.info["messages"]) == 1


def test_long_molecules_are_dropped_and_reported(tmp_path):
    with pytest.warns(UserWarning, match=r"longer than max_len=14 tokens"):
        b = load("smiles", path=str(QM9_200), max_len=14)
    assert b.event_shape == (16,)
    dropped = sum(b.info["report"][s]["too_long"]["count"] for s in ("train", "valid", "test"))
    assert dropped > 0 and dropped + len(b.train) + len(b.valid) + len(b.test) == 200


def test_molecules_selfies_cannot_encode_are_reported(tmp_path):
    lines = QM9_200.read_text().splitlines()
    lines[6] = "9,FI(F)(F)(F)F,1,2,3,4"  # line 7: iodine with five bonds, valid for RDKit, not for SELFIES
    (tmp_path / "m.csv").write_text("\n".join(lines) + "\n")
    with pytest.warns(UserWarning, match=r"1 of 200 entries skipped, SELFIES cannot encode it .* \(line 7: 'FI"):
        b = load("smiles", {"valid_fraction": 0.0, "test_fraction": 0.0}, path=str(tmp_path / "m.csv"),
                 tokenizer="selfies", properties=["gap"])
    assert len(b.train) == 199 and b.info["report"]["train"]["untokenizable"]["count"] == 1
    assert 7 not in b.info["source_lines"]["train"].tolist()
    texts = Vocabulary.from_dict(b.info["vocabulary"]).decode(b.train.x)
    assert [canonicalize_one(s) for s in SelfiesTokenizer().to_smiles(texts)] == b.info["smiles"]["train"]
    rows = {int(line): row.split(",") for line, row in enumerate(lines, start=1) if line > 1}
    assert np.allclose(b.info["properties"]["train"][:, 0],
                       [float(rows[n][5]) for n in b.info["source_lines"]["train"]])


def test_plain_list_of_smiles_with_names_and_blank_lines(tmp_path):
    (tmp_path / "m.smi").write_text("SMILES\nCCO ethanol\n\nc1ccccc1 benzene\nC1CC broken\n" + "CC\n" * 20)
    with pytest.warns(UserWarning, match="line 5: 'C1CC"):
        b = load("smiles", path=str(tmp_path / "m.smi"))
    assert len(b.train) + len(b.valid) + len(b.test) == 22
    assert b.info["property_names"] == [] and b.info["score"] is None and b.train.score is None


def test_a_row_id_column_is_carried_only_when_named():
    b = _quiet_load("smiles", path=str(QM9_200), properties=["index", "gap"], score="index")
    assert b.info["property_names"] == ["index", "gap"] and b.info["score"] == "index"


def test_a_non_numeric_column_is_noted_not_carried(tmp_path):
    (tmp_path / "m.csv").write_text("name,smiles,logp\n" + "".join(f"m{i},{'C' * (i % 5 + 1)},{i}\n"
                                                                   for i in range(30)))
    with pytest.warns(UserWarning, match="column 'name' is not a finite number on every line"):
        b = load("smiles", path=str(tmp_path / "m.csv"))
    assert b.info["property_names"] == ["logp"]


@pytest.mark.filterwarnings("ignore:smiles. test. .* molecules hold tokens never seen")
def test_valid_and_test_files_are_used_as_given(tmp_path):
    lines = QM9_200.read_text().splitlines()  # header + 200 molecules
    for name, part in [("tr", lines[:151]), ("va", lines[:1] + lines[151:176]), ("te", lines[:1] + lines[176:])]:
        (tmp_path / f"{name}.csv").write_text("\n".join(part) + "\n")
    options = {"path": "tr.csv", "valid_path": "va.csv", "test_path": "te.csv", "properties": ["gap"]}
    b = load_data(DataConfig(name="smiles", data_dir=str(tmp_path), options=options))  # relative to the data dir
    report = b.info["report"]
    assert [report[s]["read"] for s in ("train", "valid", "test")] == [150, 25, 25]
    assert [report[s]["kept"] for s in ("train", "valid", "test")] == [len(b.train), len(b.valid), len(b.test)]
    assert b.info["source_lines"]["valid"].min() >= 2 and b.info["source_lines"]["valid"].max() <= 26


@pytest.mark.parametrize("options, message", [
    ({}, "needs the option 'path'"),
    ({"path": "nowhere.csv"}, "option path: file not found"),
    ({"path": str(QM9_200), "smiles_column": "smi"}, "no column 'smi' in the header"),
    ({"path": str(QM9_200), "score": "logp"}, "score='logp' is not among its properties"),
    ({"path": str(QM9_200), "tokenizer": "bpe"}, "tokenizer='bpe': choose smiles or selfies"),
    ({"path": str(QM9_200), "properties": ["gap", "qed"]}, r"no property column\(s\) qed"),
    ({"path": str(QM9_200), "max_len": 0}, "max_len=0: must be a positive whole number"),
])
def test_clear_errors(options, message):
    with pytest.raises(DataError, match=message):
        load("smiles", **options)


def test_a_csv_without_a_smiles_column_asks_for_one(tmp_path):
    (tmp_path / "m.csv").write_text("a,b\nCC,1\n")
    with pytest.raises(DataError, match="none of the columns .a, b. is called 'smiles'; set data.options"):
        load("smiles", path=str(tmp_path / "m.csv"))


# ---------------------------------------------------------------- the cache

def test_second_load_comes_from_the_cache(monkeypatch):
    first = load("smiles", path=str(QM9_200))
    import vaelab.data.molecules as mol

    monkeypatch.setattr(mol, "build_splits", lambda *a, **k: pytest.fail("rebuilt instead of using the cache"))
    again = load("smiles", path=str(QM9_200))
    assert torch.equal(first.train.x, again.train.x) and first.info["smiles"] == again.info["smiles"]
    assert again.info["vocabulary"] == first.info["vocabulary"]
    assert first.info["cache"] == again.info["cache"] and Path(first.info["cache"]).is_dir()


def test_options_and_splits_key_the_cache():
    a = load("smiles", path=str(QM9_200))
    assert load("smiles", path=str(QM9_200), tokenizer="selfies").info["cache"] != a.info["cache"]
    assert load("smiles", {"split_seed": 1}, path=str(QM9_200)).info["cache"] != a.info["cache"]


def test_a_damaged_cache_is_rebuilt():
    a = load("smiles", path=str(QM9_200))
    (Path(a.info["cache"]) / "arrays.npz").write_bytes(b"garbage")
    b = load("smiles", path=str(QM9_200))
    assert torch.equal(a.train.x, b.train.x)
    shutil.rmtree(a.info["cache"])


# ---------------------------------------------------------------- qm9 and zinc

def test_qm9_subset_with_properties_and_limit():
    b = load("qm9", {"limit": 100}, subset=400)
    assert (len(b.train), len(b.valid), len(b.test)) == (100, 40, 40)
    names = b.info["property_names"]
    assert len(names) == 12 and b.info["score"] == "gap" and b.info["property_units"]["gap"] == "Ha"
    p = b.info["properties"]["train"]
    # QM9's gap is LUMO - HOMO (Ramakrishnan et al. 2014): an oracle for the column mapping
    assert np.allclose(p[:, names.index("gap")], p[:, names.index("lumo")] - p[:, names.index("homo")], atol=2e-4)
    assert b.info["source_lines"]["train"].min() >= 1 and b.info["source_lines"]["train"].max() <= 130_831
    assert all("." not in s and len(s) > 0 for s in b.info["smiles"]["train"])


@pytest.mark.filterwarnings("ignore:zinc. MOSES test.csv.gz")
def test_zinc_subset_keeps_the_official_test_split():
    b = load("zinc", subset=300)
    assert (len(b.train), len(b.valid)) == (270, 30)
    n_test = round(176_074 * 300 / 1_584_663)  # MOSES test cut in proportion
    assert len(b.test) + b.info["report"]["test"]["too_long"]["count"] == n_test
    assert b.info["property_names"] == [] and b.train.score is None and "MOSES" in b.info["source"]
    assert get_spec("zinc:250k").options["subset"] == 250_000 and get_spec("zinc:50k").options["subset"] == 50_000


def test_without_the_chem_extra_the_error_names_it(monkeypatch):
    import vaelab.data.molecules as mol

    monkeypatch.setattr(mol, "chem_available", lambda: False)
    with pytest.raises(DataError, match=r"needs RDKit and SELFIES; install the chem extra: pip install 'vaelab\[chem\]'"):
        load("qm9")


def test_building_in_a_log_prints_one_line_per_stage(capsys):
    """stderr is not a terminal here: each building stage prints ``title: stage: N s``; a cached load prints none."""
    load("smiles", path=str(QM9_200))
    err = capsys.readouterr().err.splitlines()
    title = "building smiles (cached once)"
    stages = [line.rsplit(": ", 1)[0] for line in err if line.startswith(title) and line.endswith(" s")]
    assert stages == [f"{title}: reading qm9_200.csv"] + [
        f"{title}: {split}: {what}" for split in ("train", "valid", "test") for what in ("canonical SMILES", "smiles tokens")]
    load("smiles", path=str(QM9_200))
    assert title not in capsys.readouterr().err


# ---------------------------------------------------------------- smiles: big and messy files

def _qm9_smiles(n):
    return [line.split(",")[1] for line in QM9_200.read_text().splitlines()[1:n + 1]]


def test_a_messy_smiles_list_reads_with_a_summary_of_what_was_skipped(tmp_path):
    """A header line, blank lines, names after the SMILES, invalid lines: kept, skipped and counted, by line."""
    lines = ["SMILES"] + [f"{s} mol{i}" for i, s in enumerate(_qm9_smiles(60))]
    lines[17:17] = ["not-a-molecule", ""]  # line 18 invalid, line 19 blank
    (tmp_path / "m.smi").write_text("\n".join(lines + ["", ""]) + "\n")
    with pytest.warns(UserWarning, match=r"m.smi: 65 lines read, 61 entries kept; skipped 1 header line and 3 blank "
                                         r"line\(s\); .*1 of \d+ entries skipped, not valid SMILES.*line 18: "
                                         r"'not-a-molecule'"):
        b = load("smiles", {"valid_fraction": 0.0, "test_fraction": 0.0}, path=str(tmp_path / "m.smi"))
    assert len(b.train) == 60 and b.info["source_lines"]["train"][:3].tolist() == [2, 3, 4]


def test_a_smiles_file_over_max_bytes_is_refused_before_reading(tmp_path, capsys):
    (tmp_path / "m.smi").write_text("\n".join(_qm9_smiles(100)) + "\n")
    size = (tmp_path / "m.smi").stat().st_size
    with pytest.raises(DataError, match=rf"m.smi is .* kB, over the limit of 1.0 kB \(data.options.max_bytes=1000\); "
                                        rf"to read it anyway, raise the limit: --set data.options.max_bytes={size} "):
        load("smiles", path=str(tmp_path / "m.smi"), max_bytes=1000)
    assert "reading" not in capsys.readouterr().err
    assert len(load("smiles", path=str(tmp_path / "m.smi"), max_bytes=size).train) > 0


def test_reading_a_smiles_file_shows_the_bytes_read_on_a_terminal(tmp_path, monkeypatch):
    import io

    from rich.console import Console

    from vaelab import progress

    screen = io.StringIO()
    monkeypatch.setattr(progress, "interactive", lambda: True)
    monkeypatch.setattr(progress, "stderr_console",
                        lambda: Console(file=screen, force_terminal=True, width=140, color_system=None))
    (tmp_path / "m.smi").write_text("\n".join(_qm9_smiles(100)) + "\n")
    load("smiles", path=str(tmp_path / "m.smi"))
    drawn = screen.getvalue()
    assert "building smiles (cached once): reading m.smi" in drawn and "/1.6 kB" in drawn, drawn  # then the rate


def test_bad_input_a_smiles_file_that_is_not_utf8(tmp_path):
    from tests.helpers import vaelab

    (tmp_path / "m.smi").write_bytes(("\n".join(_qm9_smiles(30)) + "\n").encode() + b"CC\xe9O\n")
    r = vaelab("train", "--data", "smiles", "--set", f"data.options.path={tmp_path / 'm.smi'}", "--epochs", "1",
               "--no-progress", "--out", tmp_path / "run")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    expected = (f"error: {tmp_path / 'm.smi'}, line 31: byte 0xe9 is not UTF-8 text; save the file as UTF-8 "
                "(e.g. iconv -f latin1 -t utf-8 m.smi > utf8-m.smi)")
    assert r.stderr.splitlines() == [expected]
