"""MOSES' SNN, Frag, Scaf, Filters and property distances against values computed by hand on a few molecules."""

import math
from collections import Counter

import numpy as np
import pytest

pytest.importorskip("rdkit", reason="the molecule metrics need RDKit: pip install 'vaelab[chem]'")

from rdkit import Chem  # noqa: E402

from tests.helpers.fingerprints import tanimoto  # noqa: E402
from vaelab.chem import filters  # noqa: E402
from vaelab.chem.filters import fraction_passes_filters, passes_filters  # noqa: E402
from vaelab.chem.fingerprints import max_tanimoto, morgan_bits  # noqa: E402
from vaelab.chem.properties import valid_molecules  # noqa: E402
from vaelab.chem.reference import (  # noqa: E402
    brics_fragments,
    count_cosine,
    fragment_similarity,
    murcko_scaffolds,
    property_distance,
    reference_metrics,
    scaffold_similarity,
    set_statistics,
    snn,
    wasserstein_1,
)
from vaelab.errors import VaelabError  # noqa: E402

# ----------------------------------------------------------------------------- SNN


def test_snn_of_two_against_two_by_hand():
    generated, reference = ["CCO", "c1ccccc1O"], ["CCN", "c1ccccc1"]
    nearest = [max(tanimoto(g, r) for r in reference) for g in generated]
    assert 0 < min(nearest) and max(nearest) < 1
    assert snn(generated + ["bad("], reference) == pytest.approx(np.mean(nearest))  # invalid strings drop out


def test_snn_is_one_when_every_generated_molecule_is_in_the_reference():
    assert snn(["OCC", "c1ccccc1"], ["c1ccccc1", "CCO", "CCCCCC"]) == pytest.approx(1.0)
    assert math.isnan(snn(["C1CC"], ["CCO"]))
    with pytest.raises(VaelabError, match="at least one valid reference"):
        snn(["CCO"], ["C1CC"])


def test_max_tanimoto_in_blocks_matches_one_block():
    aromatic = ["c1ccccc1O", "c1ccncc1", "Clc1ccc(Cl)cc1", "c1cc[nH]c1", "CC(=O)Nc1ccc(O)cc1"]
    a, b = morgan_bits(aromatic), morgan_bits(["CCO", "c1ccccc1", "Oc1ccccc1Cl"])
    assert max_tanimoto(a, b, block=2) == pytest.approx(max_tanimoto(a, b, block=100))
    assert max_tanimoto(a, b)[0] == pytest.approx(max(tanimoto("c1ccccc1O", r) for r in ["CCO", "c1ccccc1",
                                                                                       "Oc1ccccc1Cl"]))


# ----------------------------------------------------------------------------- Frag and Scaf


def test_brics_fragments_are_the_pieces_cut_at_brics_bonds():
    # biphenyl: one BRICS bond (16-16) between the rings; anisole: one (3-16) at the ether O
    counts = brics_fragments(valid_molecules(["c1ccc(cc1)-c1ccccc1", "COc1ccccc1", "c1ccccc1"]))
    assert counts == Counter({"[16*]c1ccccc1": 3, "[3*]OC": 1, "c1ccccc1": 1})


def test_frag_is_the_cosine_of_fragment_counts_by_hand():
    generated = ["c1ccc(cc1)-c1ccccc1", "COc1ccccc1"]  # {[16*]c1ccccc1: 3, [3*]OC: 1}
    reference = ["CCOC", "c1ccccc1"]  # {[3*]OC: 1, [4*]CC: 1, c1ccccc1: 1}
    assert fragment_similarity(generated, reference) == pytest.approx(1 / math.sqrt(10 * 3))
    assert fragment_similarity(["c1ccccc1", "c1ccccc1", "CCO"], ["c1ccccc1", "CCO", "OCC"]) == pytest.approx(4 / 5)
    assert fragment_similarity(["c1ccccc1"], ["CCO"]) == 0.0


def test_scaf_counts_scaffolds_of_two_or_more_rings_as_moses():
    generated = ["c1ccc2ccccc2c1", "Cc1ccc2ccccc2c1", "c1ccc(cc1)-c1ccccc1", "Cc1ccccc1", "CCO"]
    reference = ["c1ccc(cc1)-c1ccccc1", "Oc1ccc(-c2ccccc2)cc1", "Oc1ccccc1"]
    assert murcko_scaffolds(valid_molecules(generated)) == Counter({"c1ccc2ccccc2c1": 2, "c1ccc(-c2ccccc2)cc1": 1})
    # generated (naphthalene 2, biphenyl 1) against reference (biphenyl 2)
    assert scaffold_similarity(generated, reference) == pytest.approx(2 / (math.sqrt(5) * 2))
    # with one-ring scaffolds too: benzene joins both sides (1 and 1)
    assert scaffold_similarity(generated, reference, min_rings=1) == pytest.approx(3 / (math.sqrt(6) * math.sqrt(5)))
    assert math.isnan(scaffold_similarity(["CCO", "Cc1ccccc1"], reference))  # no scaffold of 2 rings


def test_count_cosine_of_an_empty_count_is_nan():
    assert math.isnan(count_cosine(Counter(), Counter(a=1)))
    assert count_cosine(Counter(a=3, b=4), Counter(a=3, b=4)) == pytest.approx(1.0)


# ----------------------------------------------------------------------------- Filters

PAINS_HITS = ["S=C1SC(=Cc2ccccc2)C(=O)N1", "Oc1ccccc1O", "O=C1C=CC(=O)C=C1"]  # ene_rhod_A, catechol_A, quinone_A
MCF_HITS = ["CCCCCl", "C=CC#N"]  # MCF4 (primary alkyl halide), MCF1 (acrylonitrile)
RULE_HITS = ["C[N+](C)(C)C", "CP(C)C", "C1CCCCCCC1"]  # a charge, phosphorus, an 8-membered ring
CLEAN = ["CC(=O)Nc1ccc(O)cc1", "c1ccccc1", "C1CCCCCC1", "O=C(O)c1ccccc1"]


def test_filters_reject_pains_mcf_and_rule_breakers_and_pass_clean_molecules():
    smiles = PAINS_HITS + MCF_HITS + RULE_HITS + CLEAN
    passed = passes_filters(valid_molecules(smiles))
    assert passed.tolist() == [False] * 8 + [True] * 4
    assert fraction_passes_filters(["c1ccccc1", "Oc1ccccc1O", "C1CC"]) == pytest.approx(1 / 2)  # of the valid
    assert math.isnan(fraction_passes_filters(["C1CC"]))


def test_filters_use_moses_files_and_match_moses_loop():
    files = filters.molsets_filter_files()
    if files is None:
        pytest.skip("molsets is not installed (pip install --no-deps molsets)")
    patterns = filters.read_filter_smarts(*files)
    assert len(patterns) == 502 and patterns[0][0] == "MCF1"  # 22 MCF + 480 PAINS, as moses' _filters
    assert filters.filter_source() == filters.MOLSETS_SOURCE
    queries = [Chem.MolFromSmarts(s) for _, s in patterns]
    smiles = PAINS_HITS + MCF_HITS + CLEAN + ["c1ccccc1N=Nc1ccccc1", "CCOC(=O)C=Cc1ccccc1", "CNc1ccc(N)cc1"]
    mols = valid_molecules(smiles)
    moses_loop = [not any(Chem.AddHs(m).HasSubstructMatch(q) for q in queries) for m in mols]  # mol_passes_filters
    assert passes_filters(mols).tolist() == moses_loop


def test_filters_fall_back_to_rdkit_pains_without_molsets(monkeypatch):
    monkeypatch.setattr(filters, "molsets_filter_files", lambda: None)
    filters.moses_filters.cache_clear()
    try:
        assert filters.filter_source() == filters.RDKIT_SOURCE
        passed = passes_filters(valid_molecules(PAINS_HITS + MCF_HITS + CLEAN))
        assert passed.tolist() == [False] * 3 + [True] * 2 + [True] * 4  # PAINS still caught; no MCF
    finally:
        filters.moses_filters.cache_clear()


# ----------------------------------------------------------------------------- property distances


def test_wasserstein_1_on_hand_picked_values():
    assert wasserstein_1([0, 1, 3], [5, 6, 8]) == pytest.approx(5.0)  # a shift by 5
    assert wasserstein_1([0], [0, 2]) == pytest.approx(1.0)  # |F_u - F_v| = 1/2 on [0, 2)
    assert wasserstein_1([1, 2, np.nan], [1, 2]) == 0.0  # NaN (invalid molecules) left out
    assert math.isnan(wasserstein_1([], [1.0]))


def test_weight_distance_of_alkanes_by_hand():
    # CH4 16.043, C2H6 30.070, C3H8 44.097 (C 12.011, H 1.008): mean distance to propane
    expected = ((44.097 - 16.043) + (44.097 - 30.070)) / 2
    assert property_distance(["C", "CC"], ["CCC"], "mw") == pytest.approx(expected, abs=1e-3)


# ----------------------------------------------------------------------------- all together


def test_reference_metrics_names_each_figure_or_why_it_is_missing():
    reference = set_statistics(["c1ccc(cc1)-c1ccccc1", "CCO", "CC(=O)Nc1ccc(O)cc1"])
    out = reference_metrics(set_statistics(["CCO", "c1ccccc1"]), reference)
    assert list(out) == ["snn_test", "frag_test", "scaf_test_skipped", "logp_w1_test", "qed_w1_test", "sa_w1_test",
                         "mw_w1_test"]
    assert out["snn_test"] == pytest.approx((1 + max(tanimoto("c1ccccc1", r) for r in
                                                     ["c1ccc(cc1)-c1ccccc1", "CCO", "CC(=O)Nc1ccc(O)cc1"])) / 2)
    assert "2 or more rings" in out["scaf_test_skipped"]
    none_valid = reference_metrics(set_statistics(["C1CC"]), reference, suffix="ref")
    assert none_valid["snn_ref_skipped"] == "no valid generated molecule" and "snn_ref" not in none_valid
    with pytest.raises(VaelabError, match="reference set has no valid molecule"):
        reference_metrics(reference, set_statistics(["C1CC"]))
