"""Metrics of a set of generated molecules, as pure functions over lists of SMILES strings.

Definitions follow the MOSES benchmark (Polykovskiy et al. 2020, "Molecular Sets
(MOSES): a benchmarking platform for molecular generation models", Front. Pharmacol.
11:565644): validity over all strings; uniqueness, novelty, internal diversity and FCD
over the valid ones, in RDKit canonical form.
"""

from __future__ import annotations

import math
import warnings
from typing import Iterable, Sequence

import numpy as np

from vaelab.chem.deps import require
from vaelab.chem.fcd import fcd
from vaelab.chem.properties import properties, to_molecules, valid_canonical
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
    "sample_metrics",
]

# The MOSES paper's VAE baseline, 30,000 samples scored against the MOSES test set
# (Polykovskiy et al. 2020, Tables 2-3, mean of their runs; the same figures head the MOSES
# README's results table). A published reference to read our figures against, not a target;
# keys match sample_metrics().
MOSES_VAE_REFERENCE = {
    "validity": 0.977,
    "unique@1k": 1.0,
    "unique@10k": 0.998,
    "novelty": 0.695,
    "internal_diversity": 0.856,  # IntDiv_1
    "fcd_test": 0.099,
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


def morgan_bits(smiles: Sequence[str], radius: int = 2, n_bits: int = 1024) -> np.ndarray:
    """Morgan (ECFP4-like, Rogers & Hahn 2010) bit fingerprints of the valid molecules: (n_valid, n_bits) uint8."""
    fpgen = require("rdkit.Chem.rdFingerprintGenerator", "rdkit").GetMorganGenerator(radius=radius, fpSize=n_bits)
    mols = [m for m in to_molecules(smiles) if m is not None]
    if not mols:
        return np.zeros((0, n_bits), dtype=np.uint8)
    return np.stack([fpgen.GetFingerprintAsNumPy(m) for m in mols]).astype(np.uint8)


def tanimoto_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Tanimoto similarity of every bit vector in ``a`` (n, f) with every one in ``b`` (m, f): (n, m).

    T = |a ∧ b| / (|a| + |b| − |a ∧ b|), with the intersections from one matrix product.
    Two empty fingerprints count as identical (T = 1), as in MOSES.
    """
    a, b = a.astype(np.float32), b.astype(np.float32)  # bit counts <= 2^24 are exact in float32
    both = a @ b.T  # (n, m): |a ∧ b|
    union = a.sum(1, keepdims=True) + b.sum(1)[None, :] - both  # (n, m)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, both / union, 1.0)


def internal_diversity(smiles: Sequence[str], p: int = 1, block: int = 2048) -> float:
    """IntDiv_p = 1 − ((1/|G|²) Σ_{m1,m2 ∈ G} T(m1, m2)^p)^(1/p)  (Polykovskiy et al. 2020, Eq. in §3).

    G is the valid molecules (duplicates kept, as MOSES does), T the Tanimoto
    similarity of Morgan fingerprints (radius 2, 1024 bits); the sum runs over all
    ordered pairs, the diagonal (T = 1) included. 0 for a set of one repeated molecule.
    Computed in row blocks of ``block`` fingerprints, so memory stays O(block · |G|).
    For p = 1 this equals MOSES' code; for p > 1 MOSES' code takes the root per molecule
    before averaging, which gives slightly different figures. NaN when nothing is valid.
    """
    fps = morgan_bits(smiles)  # (n, 1024)
    n = fps.shape[0]
    if n == 0:
        return math.nan
    total = 0.0
    for i in range(0, n, block):
        total += float(np.sum(tanimoto_matrix(fps[i : i + block], fps).astype(np.float64) ** p))
    return 1.0 - (total / n**2) ** (1.0 / p)


def _property_means(generated: Sequence[str], names: Sequence[str]) -> dict:
    values = properties(generated, names)
    return {f"{name}_mean": float(np.nanmean(v)) if np.isfinite(v).any() else math.nan for name, v in values.items()}


def sample_metrics(
    generated: Sequence[str],
    train_smiles: Iterable[str],
    test_smiles: Sequence[str] | None = None,
    *,
    train_is_canonical: bool = False,
    property_names: Sequence[str] = ("logp", "qed", "sa"),
    unique_at: Sequence[int] = (1000, 10000),
    fcd_device: str = "cpu",
    fcd_batch_size: int = 512,
    test_stats: dict | None = None,
) -> dict:
    """The MOSES-style summary of generated molecules: one flat, JSON-ready dict.

    Keys: ``n``, ``n_valid``, ``validity``, ``uniqueness``, ``unique@<k>`` for each k in
    ``unique_at`` that the valid molecules reach, ``novelty``, ``internal_diversity``
    (IntDiv_1), ``<property>_mean`` over the valid molecules, and, with ``test_smiles``,
    ``fcd_test`` or, when either set has fewer than 2 valid molecules, ``fcd_test_skipped``
    giving the reason. ``test_stats`` (:func:`~vaelab.chem.fcd.chemnet_stats` of ``test_smiles``,
    e.g. cached) saves computing the test set's ChemNet statistics again. Compare with
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
    out["internal_diversity"] = internal_diversity(valid)
    out.update(_property_means(valid, property_names))
    if test_smiles is not None:
        out.update(_fcd_entry(valid, test_smiles, fcd_device, fcd_batch_size, test_stats))
    return out


def _fcd_entry(valid: Sequence[str], test_smiles: Sequence[str], device: str, batch_size: int,
               test_stats: dict | None = None) -> dict:
    if len(valid) < 2:
        return {"fcd_test_skipped": f"only {len(valid)} valid generated molecule(s); the FCD needs at least 2"}
    try:
        if test_stats is not None:
            return {"fcd_test": fcd(valid, reference_stats=test_stats, device=device, batch_size=batch_size)}
        return {"fcd_test": fcd(valid, test_smiles, device=device, batch_size=batch_size)}
    except VaelabError as err:  # e.g. a test set with fewer than 2 valid molecules
        return {"fcd_test_skipped": str(err)}
