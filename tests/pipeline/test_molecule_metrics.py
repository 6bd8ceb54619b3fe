"""Molecule metrics of a token run: token accuracy by hand, reconstruction accuracy on a stub run."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

pytest.importorskip("rdkit", reason="needs the chem extra (pip install 'vaelab[chem]')")

from tests.helpers.stub_runs import StubRun  # noqa: E402
from vaelab.chem.tokenize import tokenize_smiles  # noqa: E402
from vaelab.chem.vocab import Vocabulary  # noqa: E402
from vaelab.pipeline.molecules import reconstruction_metrics, reference_subset, token_accuracy  # noqa: E402


def test_token_accuracy_counts_real_tokens_and_eos_but_not_bos_or_pad():
    x = torch.tensor([[1, 5, 6, 2, 0], [1, 5, 2, 0, 0]])
    ids = torch.tensor([[1, 5, 7, 2, 0], [1, 5, 2, 9, 9]])  # one wrong token; junk after eos is not scored
    assert token_accuracy(x, ids) == pytest.approx(4 / 5)
    assert token_accuracy(x, ids[:, :2]) == pytest.approx(2 / 5)  # a decoder that stopped short


def _stub_run(truth, decoded):
    vocab = Vocabulary.build([tokenize_smiles(s) for s in truth + decoded], "smiles")
    x = vocab.encode([tokenize_smiles(s) for s in truth], 12)  # (N, 14)
    ids = vocab.encode([tokenize_smiles(s) for s in decoded], 12)
    model = SimpleNamespace(eval=lambda: None,
                            encode=lambda xb: SimpleNamespace(mean=torch.arange(len(xb), dtype=torch.float32)[:, None]),
                            decode=lambda z: SimpleNamespace(mean=ids[z[:, 0].long()]))
    info = {"vocabulary": vocab.to_dict(), "tokenizer": "smiles", "smiles": {"test": truth}}
    return StubRun("stub", model, SimpleNamespace(info=info, split=lambda split: x), x,
                   meta={"kind": "tokens", "event_shape": list(x.shape[1:])})


def test_reconstruction_accuracy_compares_canonical_molecules():
    truth = ["CCO", "CO", "c1ccccc1"]
    decoded = ["OCC", "CC", "C1=CC=CC=C1"]  # the same ethanol and benzene, spelled differently; CC is wrong
    out = reconstruction_metrics(_stub_run(truth, decoded))
    assert out["reconstruction_accuracy"] == pytest.approx(2 / 3) and out["reconstruction_n"] == 3
    assert 0 < out["token_accuracy"] < 1


def test_reference_fcd_stats_are_cached_and_give_the_same_fcd(tmp_path, monkeypatch):
    """The test side's ChemNet statistics are computed once per set (cached by content), and the FCD is unchanged."""
    pytest.importorskip("fcd_torch")
    from vaelab.chem.fcd import fcd
    from vaelab.pipeline.molecules import reference_fcd_stats

    monkeypatch.setenv("VAELAB_CACHE", str(tmp_path))
    reference = ["CCO", "CCN", "c1ccccc1", "CC(=O)O", "CCCC", "OCCO"]
    generated = ["CCO", "CCCO", "c1ccncc1", "CC(C)O"]
    first = reference_fcd_stats(reference)
    files = list((tmp_path / "fcd-stats").glob("*.npz"))
    assert len(files) == 1 and first["n"] == 6
    again = reference_fcd_stats(reference)  # read back from the file
    assert np.array_equal(again["mu"], first["mu"]) and np.array_equal(again["sigma"], first["sigma"])
    assert fcd(generated, reference_stats=again) == pytest.approx(fcd(generated, reference), rel=1e-9)
    reference_fcd_stats(reference[:-1])  # another set, another file
    assert len(list((tmp_path / "fcd-stats").glob("*.npz"))) == 2


def test_reference_subset_is_a_seeded_subset_in_order():
    smiles = [f"C{'C' * i}O" for i in range(10)]
    assert reference_subset(smiles, None) == smiles and reference_subset(smiles, 10) == smiles
    subset = reference_subset(smiles, 4, seed=3)
    assert len(set(subset)) == 4 and subset == sorted(subset, key=smiles.index)
    assert reference_subset(smiles, 4, seed=3) == subset and reference_subset(smiles, 4, seed=4) != subset
