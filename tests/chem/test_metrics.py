"""Chemistry metrics against hand-computed values on tiny sets, and against RDKit called directly."""

import math
import sys

import numpy as np
import pytest

pytest.importorskip("rdkit", reason="the molecule metrics need RDKit: pip install 'vaelab[chem]'")

from rdkit import Chem, DataStructs, RDConfig  # noqa: E402
from rdkit.Chem import QED, Crippen, Descriptors, rdFingerprintGenerator  # noqa: E402

from tests.helpers.fingerprints import tanimoto  # noqa: E402
from vaelab.chem.deps import MissingExtra  # noqa: E402
from vaelab.chem.fcd import chemnet_stats, fcd, frechet_distance_stats  # noqa: E402
from vaelab.chem.metrics import (  # noqa: E402
    MOSES_VAE_REFERENCE,
    internal_diversity,
    novelty,
    sample_metrics,
    tanimoto_matrix,
    morgan_bits,
    uniqueness,
    valid_canonical,
    validity,
)
from vaelab.chem.properties import properties  # noqa: E402
from vaelab.chem.reference import fragment_similarity, property_distance, set_statistics, snn  # noqa: E402
from vaelab.errors import VaelabError  # noqa: E402

# ethanol twice (one non-canonical spelling), benzene; an unclosed ring and an empty string
MIX = ["CCO", "OCC", "c1ccccc1", "C1CC", ""]
SMALL = ["C", "CC", "CCC", "CCCC", "CO", "CCO", "CCCO", "CN", "CCN", "CC=C", "C=O", "CC#N"]
AROMATIC = [
    "c1ccccc1O", "c1ccc2ccccc2c1", "Cc1ccc(cc1)S(=O)(=O)N", "c1ccncc1", "O=C(O)c1ccccc1",
    "c1ccc(cc1)-c1ccccc1", "Nc1ccc(cc1)C(=O)O", "Clc1ccc(Cl)cc1", "c1ccc2[nH]ccc2c1", "COc1ccccc1OC",
    "CC(=O)Nc1ccc(O)cc1", "c1cc[nH]c1",
]


@pytest.fixture
def one_thread():
    """ChemNet and 512 x 512 eigendecompositions on a dozen molecules gain nothing from threads,
    and on a busy 2-core machine threads that wait for each other make them many times slower."""
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(before)


def test_validity_of_a_known_mix():
    assert validity(MIX) == pytest.approx(3 / 5)
    assert valid_canonical(MIX) == ["CCO", "CCO", "c1ccccc1"]  # the spelling "OCC" becomes "CCO"
    assert validity([None, "  "]) == 0.0


def test_validity_of_nothing_is_an_error_naming_the_fix():
    with pytest.raises(VaelabError, match="empty list"):
        validity([])


def test_uniqueness_counts_two_spellings_once():
    assert uniqueness(MIX) == pytest.approx(2 / 3)  # {CCO, c1ccccc1} among 3 valid
    assert uniqueness(["CCO", "OCC", "C(O)C"]) == pytest.approx(1 / 3)
    assert math.isnan(uniqueness(["C1CC", "xyz"]))


def test_unique_at_k_takes_the_first_k_valid():
    smiles = ["CCO", "bad(", "OCC", "c1ccccc1", "CC"]
    assert uniqueness(smiles, unique_at_k=2) == pytest.approx(1 / 2)  # CCO, CCO
    assert uniqueness(smiles, unique_at_k=3) == pytest.approx(2 / 3)
    with pytest.warns(UserWarning, match="only 4 valid"):
        assert uniqueness(smiles, unique_at_k=10) == pytest.approx(3 / 4)


def test_novelty_against_a_tiny_train_set():
    generated = ["CCO", "OCC", "c1ccccc1", "CC(=O)O", "C1CC"]
    train = ["C(O)C", "CCN"]  # ethanol, spelled non-canonically
    assert novelty(generated, train) == pytest.approx(2 / 3)  # benzene and acetic acid are new
    assert novelty(generated, ["CCO", "c1ccccc1", "CC(=O)O"], train_is_canonical=True) == 0.0
    assert math.isnan(novelty(["C1CC"], train))


def test_properties_match_rdkit_called_directly():
    smiles = ["c1ccccc1", "CC(=O)Nc1ccc(O)cc1", "C1CC"]
    out = properties(smiles, names=("logp", "qed", "mw"))
    for i, s in enumerate(smiles[:2]):
        mol = Chem.MolFromSmiles(s)
        assert out["logp"][i] == pytest.approx(Crippen.MolLogP(mol))
        assert out["qed"][i] == pytest.approx(QED.qed(mol))
        assert out["mw"][i] == pytest.approx(Descriptors.MolWt(mol))
    assert out["mw"][0] == pytest.approx(78.114, abs=1e-3)  # C6H6
    assert all(np.isnan(v[2]) for v in out.values())


def test_sa_score_matches_sascorer_called_directly(monkeypatch):
    monkeypatch.syspath_prepend(f"{RDConfig.RDContribDir}/SA_Score")
    monkeypatch.delitem(sys.modules, "sascorer", raising=False)
    import sascorer  # the Contrib module, imported the documented way

    smiles = ["c1ccccc1", "CC(C)C[C@H](N)C(=O)O", "CC(=O)Nc1ccc(O)cc1"]
    sa = properties(smiles, names=("sa",))["sa"]
    expected = [sascorer.calculateScore(Chem.MolFromSmiles(s)) for s in smiles]
    assert sa == pytest.approx(expected)
    assert sa[0] == pytest.approx(1.0, abs=0.3)  # benzene: as easy as it gets
    assert np.all((sa >= 1.0) & (sa <= 10.0))


def test_missing_sascorer_names_the_fix(monkeypatch):
    from vaelab.chem import properties as props

    monkeypatch.setattr(props, "_sascorer_path", lambda: "/nonexistent/SA_Score/sascorer.py")
    props.sascorer.cache_clear()
    try:
        with pytest.raises(MissingExtra, match="reinstall RDKit"):
            properties(["CCO"], names=("sa",))
    finally:
        props.sascorer.cache_clear()


def test_unknown_property_names_the_choices():
    with pytest.raises(VaelabError, match="choose from"):
        properties(["C"], names=("logp", "boiling_point"))


def test_internal_diversity_of_identical_molecules_is_zero():
    assert internal_diversity(["CCO", "OCC", "C(O)C"]) == pytest.approx(0.0, abs=1e-12)
    assert math.isnan(internal_diversity(["C1CC"]))


def test_internal_diversity_of_two_molecules_by_hand():
    t = tanimoto("CCO", "c1ccccc1O")
    assert 0.0 < t < 1.0
    # all ordered pairs, diagonal included: mean T = (1 + t + t + 1) / 4
    assert internal_diversity(["CCO", "c1ccccc1O", "bad("]) == pytest.approx(1 - (2 + 2 * t) / 4)
    assert internal_diversity(["CCO", "c1ccccc1O"], p=2) == pytest.approx(1 - math.sqrt((2 + 2 * t**2) / 4))


def test_tanimoto_matrix_matches_rdkit_bulk_tanimoto():
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    fps = [gen.GetFingerprint(Chem.MolFromSmiles(s)) for s in AROMATIC[:6]]
    expected = np.array([DataStructs.BulkTanimotoSimilarity(f, fps) for f in fps])
    bits = morgan_bits(AROMATIC[:6])
    assert tanimoto_matrix(bits, bits) == pytest.approx(expected)
    # row blocks give the same figure as one block
    assert internal_diversity(AROMATIC, block=5) == pytest.approx(internal_diversity(AROMATIC))


def test_frechet_distance_stats_matches_scipy_sqrtm():
    scipy_linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(40, 6)), rng.normal(size=(40, 6)) @ rng.normal(size=(6, 6)) + 1.0
    mu_a, mu_b, c_a, c_b = a.mean(0), b.mean(0), np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    expected = np.sum((mu_a - mu_b) ** 2) + np.trace(c_a + c_b - 2 * scipy_linalg.sqrtm(c_a @ c_b).real)
    assert frechet_distance_stats(mu_a, c_a, mu_b, c_b) == pytest.approx(expected, rel=1e-8)


def test_fcd_of_a_set_with_itself_is_zero_and_grows_for_another_set(one_thread):
    pytest.importorskip("fcd_torch", reason="the FCD needs fcd_torch: pip install 'vaelab[chem]'")
    same = fcd(AROMATIC, AROMATIC, batch_size=5)  # batches of 5 exercise the concatenation
    different = fcd(SMALL, AROMATIC)
    assert same == pytest.approx(0.0, abs=1e-3)
    assert different > 1.0
    stats = chemnet_stats(AROMATIC)
    assert stats["mu"].shape == (512,) and stats["sigma"].shape == (512, 512) and stats["n"] == len(AROMATIC)
    assert fcd(SMALL, reference_stats=stats) == pytest.approx(different, rel=1e-6)


def test_fcd_needs_two_valid_molecules(one_thread):
    pytest.importorskip("fcd_torch", reason="the FCD needs fcd_torch: pip install 'vaelab[chem]'")
    with pytest.raises(VaelabError, match="at least 2 valid"):
        fcd(["CCO", "C1CC"], AROMATIC)


def test_sample_metrics_summarises_a_tiny_sample():
    out = sample_metrics(MIX, train_smiles=["OCC"], unique_at=(2, 1000))
    assert out["n"] == 5 and out["n_valid"] == 3
    assert out["validity"] == pytest.approx(0.6)
    assert out["uniqueness"] == pytest.approx(2 / 3)
    assert out["unique@2"] == pytest.approx(1 / 2) and "unique@1k" not in out
    assert out["novelty"] == pytest.approx(1 / 2)  # benzene new, ethanol seen
    assert out["internal_diversity"] == pytest.approx(internal_diversity(MIX))
    assert out["logp_mean"] == pytest.approx(np.mean([Crippen.MolLogP(Chem.MolFromSmiles(s)) for s in MIX[:3]]))
    assert set(out) >= {"qed_mean", "sa_mean", "mw_mean"} and "fcd_test" not in out and "snn_test" not in out
    assert out["filters"] == 1.0 and out["filters_source"]  # ethanol and benzene are clean


def test_sample_metrics_adds_fcd_or_says_why_not(one_thread):
    pytest.importorskip("fcd_torch", reason="the FCD needs fcd_torch: pip install 'vaelab[chem]'")
    out = sample_metrics(SMALL, SMALL[:3], test_smiles=AROMATIC)
    assert out["fcd_test"] > 1.0
    assert out["snn_test"] == pytest.approx(snn(SMALL, AROMATIC))
    assert out["frag_test"] == pytest.approx(fragment_similarity(SMALL, AROMATIC))
    assert out["mw_w1_test"] == pytest.approx(property_distance(SMALL, AROMATIC, "mw"))
    assert "rings" in out["scaf_test_skipped"]  # SMALL has no ring
    stats = set_statistics(AROMATIC[:4])
    assert sample_metrics(SMALL, [], test_smiles=AROMATIC, reference_stats=stats)["snn_test"] == pytest.approx(
        snn(SMALL, AROMATIC[:4]))
    skipped = sample_metrics(["CCO", "C1CC"], [], test_smiles=AROMATIC)
    assert "fcd_test" not in skipped and "at least 2" in skipped["fcd_test_skipped"]


def test_moses_reference_is_the_published_vae_row():
    assert MOSES_VAE_REFERENCE["validity"] == 0.977
    assert MOSES_VAE_REFERENCE["unique@10k"] == 0.998
    assert MOSES_VAE_REFERENCE["novelty"] == 0.695
    assert MOSES_VAE_REFERENCE["fcd_test"] == 0.099
    assert MOSES_VAE_REFERENCE["snn_test"] == 0.6257 and MOSES_VAE_REFERENCE["filters"] == 0.997


def test_missing_packages_are_clear_errors(monkeypatch):
    monkeypatch.setitem(sys.modules, "rdkit", None)  # imports of rdkit now fail
    monkeypatch.setitem(sys.modules, "rdkit.Chem", None)
    with pytest.raises(MissingExtra, match=r"'rdkit'.*pip install 'vaelab\[chem\]'"):
        validity(["CCO"])
    monkeypatch.setitem(sys.modules, "fcd_torch", None)
    monkeypatch.setitem(sys.modules, "fcd_torch.utils", None)
    with pytest.raises(MissingExtra, match=r"'fcd_torch'.*pip install 'vaelab\[chem\]'"):
        fcd(SMALL, AROMATIC)
