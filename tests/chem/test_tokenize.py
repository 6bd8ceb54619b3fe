"""Canonical SMILES, the SMILES and SELFIES tokenisers, and the vocabulary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("rdkit", reason="molecule tests need RDKit: pip install 'vaelab[chem]'")
pytest.importorskip("selfies", reason="molecule tests need SELFIES: pip install 'vaelab[chem]'")

from vaelab.chem import (MissingExtra, SelfiesTokenizer, SmilesTokenizer, Vocabulary, canonicalize,  # noqa: E402
                         canonicalize_one, get_tokenizer, tokenize_smiles)
from vaelab.chem.deps import require  # noqa: E402
from vaelab.errors import DataError  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
TRICKY = (FIXTURES / "tricky_smiles.txt").read_text().splitlines()


# ---------------------------------------------------------------- SMILES tokens

@pytest.mark.parametrize("smiles", TRICKY)
def test_joining_the_tokens_gives_the_input_back(smiles):
    assert "".join(tokenize_smiles(smiles)) == smiles


def test_canonical_forms_round_trip_too():
    canon = canonicalize(TRICKY)
    assert canon.report.count == 0 and len(canon.smiles) == len(TRICKY)
    assert all("".join(tokenize_smiles(s)) == s for s in canon.smiles)


@pytest.mark.parametrize("smiles, tokens", [
    ("ClCCBr", ["Cl", "C", "C", "Br"]),
    ("BrC(Br)Br", ["Br", "C", "(", "Br", ")", "Br"]),
    ("CSc1ccccc1", ["C", "S", "c", "1", "c", "c", "c", "c", "c", "1"]),  # Sc is S then aromatic c
    ("C[C@@H](O)C", ["C", "[C@@H]", "(", "O", ")", "C"]),
    ("c1cc[nH]c1", ["c", "1", "c", "c", "[nH]", "c", "1"]),
    ("C[NH3+].[O-]C", ["C", "[NH3+]", ".", "[O-]", "C"]),
    ("[13CH4]", ["[13CH4]"]),
    ("[CH2:1]O", ["[CH2:1]", "O"]),
    ("c1cc[se]c1", ["c", "1", "c", "c", "[se]", "c", "1"]),
    ("C%10CC%10", ["C", "%10", "C", "C", "%10"]),
    ("C%(100)CC%(100)", ["C", "%(100)", "C", "C", "%(100)"]),
    ("C12CC1C2", ["C", "1", "2", "C", "C", "1", "C", "2"]),
    ("F/C=C\\F", ["F", "/", "C", "=", "C", "\\", "F"]),
    ("C#N", ["C", "#", "N"]),
    ("[Cu]$[Cu]", ["[Cu]", "$", "[Cu]"]),
    ("c:c", ["c", ":", "c"]),
    ("O=[N+]([O-])c", ["O", "=", "[N+]", "(", "[O-]", ")", "c"]),
    ("*C", ["*", "C"]),
])
def test_token_boundaries(smiles, tokens):
    assert tokenize_smiles(smiles) == tokens


def test_unknown_characters_are_single_tokens_so_the_round_trip_holds():
    for text in ["CX?C", "C C", "[NH3+", "C%1", "é", ""]:
        assert "".join(tokenize_smiles(text)) == text
    assert tokenize_smiles("CX?C") == ["C", "X", "?", "C"]
    assert tokenize_smiles("[NH3+") == ["[", "N", "H", "3", "+"]


# ---------------------------------------------------------------- canonical SMILES

def test_invalid_lines_are_reported_with_line_numbers_and_count():
    lines = ["CCO", "C1CC", "OCC", "not a molecule", "", "c1ccccc1", "C(C"]
    canon = canonicalize(lines, source="mine.smi")
    assert canon.smiles == ["CCO", "CCO", "c1ccccc1"]  # OCC and CCO are one molecule
    assert canon.lines.tolist() == [1, 3, 6] and canon.kept.tolist() == [0, 2, 5]
    r = canon.report
    assert (r.total, r.count) == (7, 4)
    assert r.examples == [(2, "C1CC"), (4, "not a molecule"), (5, ""), (7, "C(C")]
    msg = r.message()
    assert msg.startswith("mine.smi: 4 of 7 entries skipped") and "line 2: 'C1CC'" in msg and "\n" not in msg


def test_report_shows_the_first_few_and_counts_the_rest():
    canon = canonicalize(["C1"] * 9, lines=range(101, 110), max_examples=3)
    assert canon.report.count == 9 and [n for n, _ in canon.report.examples] == [101, 102, 103]
    assert "and 6 more" in canon.report.message()
    assert canonicalize(["C"]).report.message() == ""


def test_rdkit_says_nothing_on_stderr(capfd):
    canonicalize(["C1CC", "C(C", "Xx"])
    assert canonicalize_one("C1CC") is None
    assert capfd.readouterr().err == ""  # RDKit writes to file descriptor 2, which capfd sees


def test_canonicalize_one():
    assert canonicalize_one("OCC") == "CCO" and canonicalize_one("C1CC") is None and canonicalize_one("") is None


# ---------------------------------------------------------------- SELFIES

@pytest.mark.parametrize("smiles", ["CCO", "c1ccccc1", "CC1=C(NC=C1)N(=O)=O", "C[NH3+]", "OC(=O)[C@@H](N)C",
                                    "F/C=C/F", "C%10CCCCC%10", "[Na+].[Cl-]"])
def test_selfies_round_trip_gives_the_same_canonical_smiles(smiles):
    tok = SelfiesTokenizer()
    canon = canonicalize_one(smiles)
    tokens = tok.tokenize(canon)
    assert all(t == "." or (t.startswith("[") and t.endswith("]")) for t in tokens)
    assert canonicalize_one(tok.to_smiles(["".join(tokens)])[0]) == canon


def test_selfies_refusals_are_reported_not_raised_in_bulk():
    tok = get_tokenizer("selfies")
    out = tok.tokenize_many(["CCO", "FI(F)(F)(F)F", "C"])  # iodine with five bonds: outside SELFIES' rules
    assert out.failed.tolist() == [1] and len(out.tokens) == 2
    with pytest.raises(DataError, match="SELFIES cannot encode 'FI"):
        tok.tokenize("FI(F)(F)(F)F")


def test_tokenizer_names():
    assert isinstance(get_tokenizer("smiles"), SmilesTokenizer)
    with pytest.raises(DataError, match="unknown tokenizer 'bpe'; choose smiles or selfies"):
        get_tokenizer("bpe")


# ---------------------------------------------------------------- vocabulary

def _vocab_and_tokens():
    tokens = [tokenize_smiles(s) for s in ["CCO", "c1ccccc1Cl", "C[NH3+]"]]
    return Vocabulary.build(tokens), tokens


def test_vocabulary_is_specials_then_sorted_training_tokens():
    vocab, tokens = _vocab_and_tokens()
    assert vocab.tokens == ["<pad>", "<bos>", "<eos>", "<unk>", "1", "C", "Cl", "O", "[NH3+]", "c"]
    assert Vocabulary.build(reversed(tokens)) == vocab  # order of the molecules does not matter


def test_encode_layout_and_decode_round_trip():
    vocab, tokens = _vocab_and_tokens()
    x = vocab.encode(tokens, max_len=10)
    assert x.dtype == torch.int64 and x.shape == (3, 12)
    assert x[:, 0].tolist() == [vocab.bos_id] * 3
    assert x[0].tolist() == [1, 5, 5, 7, 2] + [0] * 7  # bos C C O eos pad...
    assert ((x != vocab.pad_id).sum(1) == torch.tensor([5, 11, 4])).all()
    assert vocab.decode(x) == ["CCO", "c1ccccc1Cl", "C[NH3+]"]


def test_unknown_tokens_and_model_outputs_decode_sensibly():
    vocab, _ = _vocab_and_tokens()
    x = vocab.encode([["C", "Br", "O"]], max_len=4)
    assert x[0, 2] == vocab.unk_id and vocab.decode(x) == ["C<unk>O"]
    raw = torch.tensor([[5, 5, 2, 7, 7], [1, 5, 1, 7, 0], [2, 5, 5, 5, 5], [5, 7, 7, 7, 7]])  # no bos, bos, eos
    assert vocab.decode(raw) == ["CC", "CO", "", "COOOO"]
    with pytest.raises(DataError, match="token ids must lie in"):
        vocab.decode(torch.tensor([[1, 99]]))


def test_encode_refuses_sequences_longer_than_max_len():
    vocab, tokens = _vocab_and_tokens()
    with pytest.raises(DataError, match="1 token sequences are longer than max_len=5 .the longest has 9."):
        vocab.encode(tokens, max_len=5)


def test_vocabulary_save_and_load(tmp_path):
    vocab, tokens = _vocab_and_tokens()
    vocab.save(tmp_path / "run" / "vocabulary.json")
    again = Vocabulary.load(tmp_path / "run" / "vocabulary.json")
    assert again == vocab and torch.equal(again.encode(tokens, 10), vocab.encode(tokens, 10))
    (tmp_path / "bad.json").write_text('{"tokens": ["C"]}')
    with pytest.raises(DataError, match="not a vaelab vocabulary"):
        Vocabulary.load(tmp_path / "bad.json")
    with pytest.raises(DataError, match="vocabulary file not found"):
        Vocabulary.load(tmp_path / "none.json")


def test_encode_array_is_one_flat_pass():
    vocab, tokens = _vocab_and_tokens()
    a = vocab.encode_array(tokens, 10, dtype=np.uint8)
    assert a.dtype == np.uint8 and np.array_equal(a, vocab.encode(tokens, 10).numpy())
    assert vocab.encode([], 3).shape == (0, 5)


# ---------------------------------------------------------------- without the chem extra

def test_a_missing_package_names_the_extra():
    with pytest.raises(MissingExtra, match=r"pip install 'vaelab\[chem\]'"):
        require("vaelab_no_such_module", "nosuch")


def test_vaelab_imports_and_lists_datasets_without_rdkit():
    code = ("import sys; sys.modules['rdkit'] = None; sys.modules['selfies'] = None\n"
            "import vaelab, vaelab.chem\n"
            "from vaelab.data import dataset_table, load_data\n"
            "from vaelab.config import DataConfig\n"
            "from vaelab.errors import VaelabError\n"
            "print({r['name']: r['status'] for r in dataset_table()}['qm9'])\n"
            "try:\n    load_data(DataConfig(name='qm9'))\nexcept VaelabError as e:\n    print(e)\n"
            "try:\n    vaelab.chem.canonicalize(['C'])\nexcept VaelabError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    status, data_err, chem_err = out.stdout.splitlines()
    assert "vaelab[chem]" in status
    assert data_err == "dataset 'qm9' needs RDKit and SELFIES; install the chem extra: pip install 'vaelab[chem]'"
    assert chem_err.startswith("molecule support needs the package 'rdkit'") and "vaelab[chem]" in chem_err
