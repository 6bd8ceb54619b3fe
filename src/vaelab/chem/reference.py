"""How close a set of generated molecules is to a reference set: MOSES' SNN, Frag, Scaf and property distances.

Polykovskiy et al. 2020 ("Molecular Sets (MOSES): a benchmarking platform for molecular
generation models", Front. Pharmacol. 11:565644, sec. "Metrics") compare generated
molecules G with a reference set R (their test set) by

* **SNN** = (1/|G|) Σ_{m_G ∈ G} max_{m_R ∈ R} T(m_G, m_R): the mean Tanimoto similarity T
  of each generated molecule to its nearest reference neighbour, Morgan fingerprints of
  radius 2 folded to 1024 bits;
* **Frag** = cos(f_G, f_R), where f_A[c] counts how often BRICS fragment c (Degen et al.
  2008) occurs in the molecules of A;
* **Scaf** = cos(s_G, s_R), where s_A[c] counts how many molecules of A have the
  Bemis–Murcko scaffold c (Bemis & Murcko 1996); MOSES' code counts only scaffolds of at
  least 2 rings (``compute_scaffolds(min_rings=2)``), and so does this module by default;
* **property distances**: the Wasserstein-1 distance between the values of a property
  (logP, QED, SA score, molecular weight) over G and over R
  (``scipy.stats.wasserstein_distance``, as MOSES).

Each set is summarised once by :func:`set_statistics` (MOSES'
``compute_intermediate_statistics``), so a reference summarised once serves any number
of generated sets. Both sets are their valid molecules, duplicates kept, as in MOSES.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from vaelab.chem.deps import quiet_rdkit, rdkit_chem, require
from vaelab.chem.fingerprints import fingerprint_bits, max_tanimoto
from vaelab.chem.properties import properties, properties_of_molecules, valid_molecules
from vaelab.errors import VaelabError

#: the properties MOSES compares by Wasserstein-1 distance: logP, QED, SA, weight
MOSES_PROPERTIES = ("logp", "qed", "sa", "mw")
#: MOSES' compute_scaffolds keeps scaffolds with at least this many rings
SCAFFOLD_MIN_RINGS = 2


@dataclass(frozen=True)
class SetStatistics:
    """What SNN, Frag, Scaf and the property distances need of one set of valid molecules."""

    fingerprints: np.ndarray  # (n, 1024) uint8 Morgan bits
    fragments: Counter  # BRICS fragment SMILES -> occurrences
    scaffolds: Counter  # scaffold SMILES -> molecules with it (>= min_rings rings)
    properties: dict = field(default_factory=dict)  # name -> (n,) float64
    min_rings: int = SCAFFOLD_MIN_RINGS

    @property
    def n(self) -> int:
        """Number of valid molecules summarised."""
        return int(self.fingerprints.shape[0])


def brics_fragments(mols: Sequence) -> Counter:
    """Occurrences of each BRICS fragment (Degen et al. 2008) over the molecules, as MOSES' ``compute_fragments``:
    the molecule cut at its BRICS bonds (dummy atoms mark the cuts), the pieces as canonical SMILES."""
    chem = rdkit_chem()
    counts = Counter()
    for mol in mols:
        counts.update(chem.MolToSmiles(chem.FragmentOnBRICSBonds(mol)).split("."))
    return counts


def murcko_scaffold(mol, min_rings: int = SCAFFOLD_MIN_RINGS) -> str | None:
    """Canonical SMILES of the Bemis–Murcko scaffold (Bemis & Murcko 1996), None when it has fewer than
    ``min_rings`` rings or cannot be built (MOSES' ``compute_scaffold``)."""
    try:
        scaffold = require("rdkit.Chem.Scaffolds.MurckoScaffold", "rdkit").GetScaffoldForMol(mol)
    except (ValueError, RuntimeError):
        return None
    smiles = rdkit_chem().MolToSmiles(scaffold)
    return smiles if smiles and scaffold.GetRingInfo().NumRings() >= min_rings else None


def murcko_scaffolds(mols: Sequence, min_rings: int = SCAFFOLD_MIN_RINGS) -> Counter:
    """How many molecules have each scaffold of at least ``min_rings`` rings (MOSES' ``compute_scaffolds``)."""
    counts = Counter(murcko_scaffold(m, min_rings) for m in mols)
    counts.pop(None, None)
    return counts


def count_cosine(a: Counter, b: Counter) -> float:
    """Cosine similarity <a, b> / (‖a‖ ‖b‖) of two count vectors over the union of their keys (absent = 0);
    NaN when either is empty, as MOSES' ``cos_similarity``."""
    if not a or not b:
        return math.nan
    keys = list(a.keys() | b.keys())
    va = np.array([a.get(k, 0) for k in keys], dtype=np.float64)  # (K,)
    vb = np.array([b.get(k, 0) for k in keys], dtype=np.float64)  # (K,)
    return float(va @ vb / (np.linalg.norm(va) * np.linalg.norm(vb)))


def nearest_neighbour_similarity(generated: np.ndarray, reference: np.ndarray) -> float:
    """SNN of fingerprint bit matrices generated (n, f) and reference (m, f): the mean over the n generated
    molecules of the largest Tanimoto similarity to any reference one; NaN when n = 0."""
    return float(np.mean(max_tanimoto(generated, reference))) if generated.shape[0] else math.nan


def wasserstein_1(u: np.ndarray, v: np.ndarray) -> float:
    """Wasserstein-1 distance ∫ |F_u(t) − F_v(t)| dt between the empirical distributions of two samples
    (``scipy.stats.wasserstein_distance``, as MOSES); NaN values are left out, NaN when either side is empty."""
    u, v = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
    u, v = u[np.isfinite(u)], v[np.isfinite(v)]
    if u.size == 0 or v.size == 0:
        return math.nan
    return float(require("scipy.stats", "scipy").wasserstein_distance(u, v))


def statistics_of_molecules(mols: Sequence, property_names: Sequence[str] = MOSES_PROPERTIES,
                            min_rings: int = SCAFFOLD_MIN_RINGS) -> SetStatistics:
    """:class:`SetStatistics` of parsed (valid) RDKit molecules."""
    with quiet_rdkit():
        return SetStatistics(fingerprint_bits(mols), brics_fragments(mols), murcko_scaffolds(mols, min_rings),
                             properties_of_molecules(mols, property_names), min_rings)


def set_statistics(smiles: Sequence[str], property_names: Sequence[str] = MOSES_PROPERTIES,
                   min_rings: int = SCAFFOLD_MIN_RINGS) -> SetStatistics:
    """:class:`SetStatistics` of the valid molecules among ``smiles``, duplicates kept.

    For a reference set, compute it once and pass it to :func:`reference_metrics` for
    every generated set. About 3 ms per drug-like (ZINC) molecule on one core, half of it QED.
    """
    return statistics_of_molecules(valid_molecules(smiles), property_names, min_rings)


def reference_metrics(generated: SetStatistics, reference: SetStatistics, suffix: str = "test") -> dict:
    """SNN, Frag, Scaf and the property distances of ``generated`` against ``reference``, one flat dict.

    Keys: ``snn_<suffix>``, ``frag_<suffix>``, ``scaf_<suffix>`` and ``<property>_w1_<suffix>``
    for each property both sets have, in the generated set's order. A figure that cannot
    be computed (no valid generated molecule; no scaffold of enough rings on one side) is
    left out and a ``<key>_skipped`` entry says why.
    """
    if reference.n == 0:
        raise VaelabError("the reference set has no valid molecule; SNN, Frag and Scaf need at least one")
    none_valid = "no valid generated molecule"
    figures = [
        (f"snn_{suffix}", nearest_neighbour_similarity(generated.fingerprints, reference.fingerprints), none_valid),
        (f"frag_{suffix}", count_cosine(generated.fragments, reference.fragments), none_valid),
        (f"scaf_{suffix}", count_cosine(generated.scaffolds, reference.scaffolds),
         f"no scaffold of {generated.min_rings} or more rings among the generated or the reference molecules"),
    ]
    figures += [(f"{name}_w1_{suffix}", wasserstein_1(values, reference.properties[name]), none_valid)
                for name, values in generated.properties.items() if name in reference.properties]
    return dict(_entry(*figure) for figure in figures)


def _entry(key: str, value: float, reason: str) -> tuple[str, object]:
    return (key, value) if math.isfinite(value) else (f"{key}_skipped", reason)


def snn(generated: Sequence[str], reference: Sequence[str]) -> float:
    """MOSES' SNN of two lists of SMILES (see the module docstring); NaN when no generated string is valid."""
    return nearest_neighbour_similarity(*(fingerprint_bits(valid_molecules(s)) for s in (generated, reference)))


def fragment_similarity(generated: Sequence[str], reference: Sequence[str]) -> float:
    """MOSES' Frag: cosine similarity of the BRICS fragment counts of two lists of SMILES."""
    return count_cosine(*(brics_fragments(valid_molecules(s)) for s in (generated, reference)))


def scaffold_similarity(generated: Sequence[str], reference: Sequence[str],
                        min_rings: int = SCAFFOLD_MIN_RINGS) -> float:
    """MOSES' Scaf: cosine similarity of the Bemis–Murcko scaffold counts of two lists of SMILES."""
    return count_cosine(*(murcko_scaffolds(valid_molecules(s), min_rings) for s in (generated, reference)))


def property_distance(generated: Sequence[str], reference: Sequence[str], name: str) -> float:
    """Wasserstein-1 distance between a property's values (``logp``, ``qed``, ``sa``, ``mw``) over two lists."""
    return wasserstein_1(*(properties(s, (name,))[name] for s in (generated, reference)))
