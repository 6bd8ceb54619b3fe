"""Molecules parsed from SMILES strings, and their per-molecule properties (logP, QED, SA score, weight).

RDKit is an optional extra: it is imported inside the functions (:mod:`vaelab.chem.deps`),
so ``import vaelab`` works without it, and a missing RDKit is one clear
:class:`~vaelab.chem.deps.MissingExtra` error naming the fix.
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np

from vaelab.chem.deps import CHEM_EXTRA_HINT, MissingExtra, quiet_rdkit, rdkit_chem, require
from vaelab.chem.smiles import canonicalize
from vaelab.errors import VaelabError


def to_molecules(smiles: Iterable) -> list:
    """Parse each SMILES string with RDKit: an ``rdkit.Chem.Mol``, or None where it does not parse.

    Empty or blank strings, non-strings (e.g. None) and molecules without atoms are
    invalid, as in MOSES' ``get_mol`` (Polykovskiy et al. 2020) and
    :func:`vaelab.chem.smiles.canonicalize_one`. RDKit's messages, one per invalid
    string, are blocked for the duration of the call only.
    """
    chem = rdkit_chem()
    mols = []
    with quiet_rdkit():
        for s in smiles:
            mol = chem.MolFromSmiles(s) if isinstance(s, str) and s.strip() else None
            mols.append(mol if mol is not None and mol.GetNumAtoms() > 0 else None)
    return mols


def valid_molecules(smiles: Iterable) -> list:
    """The RDKit molecules of the valid strings only, in input order, duplicates kept."""
    return [m for m in to_molecules(smiles) if m is not None]


def valid_canonical(smiles: Sequence[str]) -> list[str]:
    """RDKit canonical SMILES of the valid strings only, in input order, duplicates kept (MOSES' ``remove_invalid``)."""
    return canonicalize([s if isinstance(s, str) else "" for s in smiles]).smiles


def _sascorer_path() -> str:
    """RDKit's Contrib/SA_Score/sascorer.py. (The copy molsets ships imports ``rdkit.six``,
    which current RDKit lacks, so it is no fallback.)"""
    contrib = getattr(require("rdkit.RDConfig", "rdkit"), "RDContribDir", None) or ""
    return os.path.join(contrib, "SA_Score", "sascorer.py")


@lru_cache(maxsize=1)
def sascorer():
    """The synthetic-accessibility scorer of Ertl & Schuffenhauer (2009), from RDKit's Contrib folder.

    Loaded from its file path without adding anything to ``sys.path``; it reads its
    fragment scores (``fpscores.pkl.gz``) from beside itself on first use.
    """
    path = _sascorer_path()
    if not os.path.isfile(path):
        raise MissingExtra(
            f"the SA score needs RDKit's Contrib/SA_Score/sascorer.py, which this RDKit install lacks ({path!r}); "
            f"reinstall RDKit from PyPI (pip install --force-reinstall rdkit), or {CHEM_EXTRA_HINT}"
        )
    spec = importlib.util.spec_from_file_location("vaelab_sascorer", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def logp(mol) -> float:
    """Octanol-water partition coefficient, Crippen's atom-contribution model (Wildman & Crippen 1999)."""
    return float(require("rdkit.Chem.Crippen", "rdkit").MolLogP(mol))


def qed(mol) -> float:
    """Quantitative estimate of drug-likeness in [0, 1] (Bickerton et al. 2012), RDKit's implementation."""
    return float(require("rdkit.Chem.QED", "rdkit").qed(mol))


def sa_score(mol) -> float:
    """Synthetic accessibility in [1 (easy), 10 (hard)] (Ertl & Schuffenhauer 2009)."""
    return float(sascorer().calculateScore(mol))


def mol_weight(mol) -> float:
    """Average molecular weight in daltons (RDKit ``Descriptors.MolWt``)."""
    return float(require("rdkit.Chem.Descriptors", "rdkit").MolWt(mol))


PROPERTIES = {"logp": logp, "qed": qed, "sa": sa_score, "mw": mol_weight}


def _check_names(names: Sequence[str]) -> None:
    unknown = [n for n in names if n not in PROPERTIES]
    if unknown:
        raise VaelabError(f"unknown molecular properties {unknown}; choose from {sorted(PROPERTIES)}")


def properties_of_molecules(mols: Sequence, names: Sequence[str] = ("logp", "qed", "sa")) -> dict[str, np.ndarray]:
    """Each named property of each RDKit molecule: ``{name: (n,) float64 array}``, NaN where the molecule is None."""
    _check_names(names)
    return {
        name: np.array([PROPERTIES[name](m) if m is not None else np.nan for m in mols], dtype=np.float64)
        for name in names
    }


def properties(smiles: Sequence, names: Sequence[str] = ("logp", "qed", "sa")) -> dict[str, np.ndarray]:
    """Each named property of each SMILES string: ``{name: (n,) float64 array}``, NaN where invalid.

    Names: ``logp`` (Crippen), ``qed``, ``sa`` (SA score), ``mw`` (molecular weight).
    """
    _check_names(names)
    return properties_of_molecules(to_molecules(smiles), names)
