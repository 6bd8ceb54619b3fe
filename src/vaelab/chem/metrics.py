"""Metrics of a set of generated molecules, as pure functions over lists of SMILES strings.

Definitions follow the MOSES benchmark (Polykovskiy et al. 2020, "Molecular Sets
(MOSES): a benchmarking platform for molecular generation models", Front. Pharmacol.
11:565644, sec. "Metrics"): validity over all strings; uniqueness, novelty, internal
diversity, Filters (:mod:`vaelab.chem.filters`) and FCD over the valid ones, in RDKit
canonical form; SNN, Frag, Scaf and the property distances against a reference set in
:mod:`vaelab.chem.reference`. :func:`sample_metrics` reports them all.
"""

from __future__ import annotations

import math
import warnings
from typing import Iterable, Sequence

import numpy as np

from vaelab.chem.fcd import fcd
from vaelab.chem.filters import filter_source, passes_filters
from vaelab.chem.fingerprints import morgan_bits, tanimoto_matrix
from vaelab.chem.properties import to_molecules, valid_canonical, valid_molecules
from vaelab.chem.reference import (
    MOSES_PROPERTIES,
    SetStatistics,
    reference_metrics,
    set_statistics,
    statistics_of_molecules,
)
from vaelab.errors import VaelabError

__all__ = [
    "MOSES_VAE_REFERENCE",
    "valid_canonical",
    "validity",
    "uniqueness",
    "novelty",
    "morgan_bits",
    "tanimoto_matrix",
    "internal_diversity",
    "internal_diversity_of_bits",
    "sample_metrics",
]

# The MOSES paper's VAE baseline, 30,000 samples scored against the MOSES test set
# (Polykovskiy et al. 2020, Tables 2-3, mean of their runs; the same figures head the MOSES
# README's results table, checked at molecularsets/moses dd7ed6a). A published reference to
# read our figures against, not a target; keys match sample_metrics().
MOSES_VAE_REFERENCE = {
    "validity": 0.977,
    "unique@1k": 1.0,
    "unique@10k": 0.998,
    "novelty": 0.695,
    "internal_diversity": 0.856,  # IntDiv_1
    "fcd_test": 0.099,
    "snn_test": 0.6257,
    "frag_test": 0.9994,
    "scaf_test": 0.9386,
    "filters": 0.997,
}


def _nonempty(smiles: Sequence, what: str) -> None:
    if len(smiles) == 0:
        raise VaelabError(f"{what} needs at least one SMILES string, got an empty list; sample some molecules first")


def validity(smiles: Sequence[str]) -> float:
    """Share of strings that RDKit parses to a molecule (MOSES "Valid"); empty strings are invalid."""
    _nonempty(smiles, "validity")
    return sum(m is not None for m in to_molecules(smiles)) / len(smiles)


def uniqueness(smiles: Sequence[str], unique_at_k: int | None = None) -> float:
    """Unique canonical molecules among the valid ones, divided by the number of valid ones (MOSES "Unique@k").

    With ``unique_at_k``, only the first k valid molecules count (MOSES' unique@1k and
    unique@10k); with fewer than k valid ones, all of them count and a warning says so,
    as in MOSES. NaN when no string is valid.
    """
    valid = valid_canonical(smiles)
    if unique_at_k is not None:
        if len(valid) < unique_at_k:
            warnings.warn(f"unique@{unique_at_k}: only {len(valid)} valid molecules; using all of them", stacklevel=2)
        valid = valid[:unique_at_k]
    return len(set(valid)) / len(valid) if valid else math.nan


def novelty(smiles: Sequence[str], train_smiles: Iterable[str], train_is_canonical: bool = False) -> float:
    """Share of the unique valid generated molecules that are not in the training set (MOSES "Novelty").

    Both sides are compared in RDKit canonical form. Canonicalising a large training set
    (MOSES: 1.6M) takes minutes; pass ``train_is_canonical=True`` when it already is
    (e.g. read through vaelab's molecule datasets). NaN when no string is valid.
    """
    generated = set(valid_canonical(smiles))
    if not generated:
        return math.nan
    train = set(train_smiles) if train_is_canonical else set(valid_canonical(train_smiles))
    return len(generated - train) / len(generated)


def internal_diversity(smiles: Sequence[str], p: int = 1, block: int = 2048) -> float:
    """IntDiv_p = 1 − ((1/|G|²) Σ_{m1,m2 ∈ G} T(m1, m2)^p)^(1/p)  (Polykovskiy et al. 2020, Eq. in §3).

    G is the valid molecules (duplicates kept, as MOSES does), T the Tanimoto
    similarity of Morgan fingerprints (radius 2, 1024 bits); the sum runs over all
    ordered pairs, the diagonal (T = 1) included. 0 for a set of one repeated molecule.
    For p = 1 this equals MOSES' code; for p > 1 MOSES' code takes the root per molecule
    before averaging, which gives slightly different figures. NaN when nothing is valid.
    """
    return internal_diversity_of_bits(morgan_bits(smiles), p, block)


def internal_diversity_of_bits(fps: np.ndarray, p: int = 1, block: int = 2048) -> float:
    """:func:`internal_diversity` of fingerprint bits (n, f), in row blocks of ``block``: memory O(block · n)."""
    n = fps.shape[0]
    if n == 0:
        return math.nan
    total = 0.0
    for i in range(0, n, block):
        total += float(np.sum(tanimoto_matrix(fps[i : i + block], fps).astype(np.float64) ** p))
    return 1.0 - (total / n**2) ** (1.0 / p)


def sample_metrics(
    generated: Sequence[str],
    train_smiles: Iterable[str],
    test_smiles: Sequence[str] | None = None,
    *,
    train_is_canonical: bool = False,
    property_names: Sequence[str] = MOSES_PROPERTIES,
    unique_at: Sequence[int] = (1000, 10000),
    reference_stats: SetStatistics | None = None,
    fcd_device: str = "cpu",
    fcd_batch_size: int = 512,
    fcd_stats: dict | None = None,
) -> dict:
    """The MOSES summary of generated molecules (Polykovskiy et al. 2020, sec. "Metrics"): one flat, JSON-ready dict.

    Keys: ``n``, ``n_valid``, ``validity``, ``uniqueness``, ``unique@<k>`` for each k in
    ``unique_at`` that the valid molecules reach, ``novelty``, ``internal_diversity``
    (IntDiv_1), ``filters`` (share passing MOSES' filters, :mod:`vaelab.chem.filters`)
    with ``filters_source``, and ``<property>_mean`` over the valid molecules. With
    ``test_smiles``: ``fcd_test``, and SNN, Frag, Scaf and the Wasserstein-1 distance of
    each property (:func:`vaelab.chem.reference.reference_metrics`: ``snn_test``,
    ``frag_test``, ``scaf_test``, ``<property>_w1_test``) against ``reference_stats``
    when given (e.g. of a subset of the test set, computed once with
    :func:`~vaelab.chem.reference.set_statistics`), else against all of ``test_smiles``.
    A figure that cannot be computed is replaced by ``<key>_skipped`` giving the reason.
    ``fcd_stats`` (:func:`~vaelab.chem.fcd.chemnet_stats` of ``test_smiles``, e.g. cached)
    saves computing the test set's ChemNet statistics again. Compare with
    :data:`MOSES_VAE_REFERENCE`.
    """
    _nonempty(generated, "sample_metrics")
    valid = valid_canonical(generated)
    out = {"n": len(generated), "n_valid": len(valid), "validity": len(valid) / len(generated)}
    out["uniqueness"] = uniqueness(valid)
    for k in unique_at:
        if len(valid) >= k:
            out[f"unique@{k // 1000}k" if k % 1000 == 0 else f"unique@{k}"] = uniqueness(valid, unique_at_k=k)
    out["novelty"] = novelty(valid, train_smiles, train_is_canonical=train_is_canonical)
    mols = valid_molecules(valid)
    stats = statistics_of_molecules(mols, property_names)
    out["internal_diversity"] = internal_diversity_of_bits(stats.fingerprints)
    out.update(_filters_entry(mols))
    out.update({f"{name}_mean": _mean(values) for name, values in stats.properties.items()})
    if test_smiles is not None:
        out.update(_fcd_entry(valid, test_smiles, fcd_device, fcd_batch_size, fcd_stats))
        reference = reference_stats if reference_stats is not None else set_statistics(test_smiles, property_names)
        out.update(reference_metrics(stats, reference, suffix="test"))
    return out


def _mean(values: np.ndarray) -> float:
    return float(np.nanmean(values)) if np.isfinite(values).any() else math.nan


def _filters_entry(mols: Sequence) -> dict:
    if not mols:
        return {"filters_skipped": "no valid generated molecule"}
    return {"filters": float(passes_filters(mols).mean()), "filters_source": filter_source()}


def _fcd_entry(valid: Sequence[str], test_smiles: Sequence[str], device: str, batch_size: int,
               fcd_stats: dict | None = None) -> dict:
    if len(valid) < 2:
        return {"fcd_test_skipped": f"only {len(valid)} valid generated molecule(s); the FCD needs at least 2"}
    try:
        if fcd_stats is not None:
            return {"fcd_test": fcd(valid, reference_stats=fcd_stats, device=device, batch_size=batch_size)}
        return {"fcd_test": fcd(valid, test_smiles, device=device, batch_size=batch_size)}
    except VaelabError as err:  # e.g. a test set with fewer than 2 valid molecules
        return {"fcd_test_skipped": str(err)}
