"""MOSES' medicinal-chemistry filters: the share of molecules free of unwanted substructures and atoms.

Polykovskiy et al. 2020 ("Molecular Sets (MOSES)", Front. Pharmacol. 11:565644, sec.
"Metrics", *Filters*) built the MOSES data set by removing molecules that fail these
filters, and report the share of generated molecules that pass them. A molecule passes
(``moses.metrics.utils.mol_passes_filters``) when it

* has no ring of 8 or more atoms,
* has no charged atom,
* has only the atoms C, N, S, O, F, Cl, Br (and H),
* matches none of the SMARTS of the medicinal-chemistry filters (MCF) and of the PAINS
  (pan-assay interference compounds, Baell & Holloway 2010) substructures, matched on
  the molecule with explicit hydrogens, since the PAINS SMARTS name them (``[#1]``),
* and writes a non-empty non-isomeric SMILES that RDKit parses again.

The substructures come from the files MOSES itself uses, ``mcf.csv`` and
``wehi_pains.csv`` of the ``molsets`` package (located, not imported: its
``__init__`` needs pandas < 2). Without molsets, RDKit's own FilterCatalog PAINS set (the
same 480 Baell & Holloway patterns, rewritten for implicit hydrogens) stands in and the
22 MCF patterns are missing; :func:`filter_source` says which set was used.
"""

from __future__ import annotations

import csv
import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np

from vaelab.chem.deps import quiet_rdkit, rdkit_chem, require
from vaelab.chem.properties import valid_molecules
from vaelab.errors import DataError

ALLOWED_ATOMS = frozenset({"C", "N", "S", "O", "F", "Cl", "Br", "H"})
MAX_RING_SIZE = 7  # a ring of 8 or more atoms fails
MOLSETS_SOURCE = "molsets mcf.csv + wehi_pains.csv (as MOSES)"
RDKIT_SOURCE = "RDKit FilterCatalog PAINS (molsets not installed: no MCF)"


class Filters(NamedTuple):
    """A substructure catalogue, whether it is matched with explicit hydrogens, and where it came from."""

    catalog: object  # rdkit.Chem.FilterCatalog.FilterCatalog
    explicit_h: bool
    source: str


def molsets_filter_files() -> tuple[Path, Path] | None:
    """``moses/metrics/mcf.csv`` and ``wehi_pains.csv`` of the installed molsets package, or None."""
    try:
        spec = importlib.util.find_spec("moses")  # finds the package without running its __init__
    except (ImportError, ValueError):
        return None
    for root in (spec.submodule_search_locations or []) if spec else []:
        files = (Path(root) / "metrics" / "mcf.csv", Path(root) / "metrics" / "wehi_pains.csv")
        if all(f.is_file() for f in files):
            return files
    return None


def read_filter_smarts(mcf: Path, pains: Path) -> list[tuple[str, str]]:
    """(name, SMARTS) of every pattern: ``mcf.csv`` has a header ``names,smarts``; ``wehi_pains.csv`` has no
    header and rows ``smarts,name`` whose quoted SMARTS are padded with spaces."""
    with open(mcf, newline="", encoding="utf-8") as fh:
        rows = [(r["names"].strip(), r["smarts"].strip()) for r in csv.DictReader(fh)]
    with open(pains, newline="", encoding="utf-8") as fh:
        rows += [(r[1].strip(), r[0].strip()) for r in csv.reader(fh) if len(r) >= 2]
    return rows


def smarts_catalog(patterns: Sequence[tuple[str, str]], origin: str):
    """An RDKit FilterCatalog of (name, SMARTS) patterns, so one C++ call tests a molecule against all of them."""
    chem, fc = rdkit_chem(), require("rdkit.Chem.FilterCatalog", "rdkit")
    catalog = fc.FilterCatalog()
    for name, smarts in patterns:
        query = chem.MolFromSmarts(smarts)
        if query is None:
            raise DataError(f"filter pattern {name!r} in {origin} is not valid SMARTS: {smarts!r}")
        catalog.AddEntry(fc.FilterCatalogEntry(name, fc.SmartsMatcher(name, query, 1)))
    return catalog


@lru_cache(maxsize=1)
def moses_filters() -> Filters:
    """MOSES' MCF and PAINS patterns from molsets when installed, else RDKit's PAINS catalogue; built once."""
    files = molsets_filter_files()
    if files is not None:
        patterns = read_filter_smarts(*files)
        return Filters(smarts_catalog(patterns, f"{files[0].parent}"), explicit_h=True, source=MOLSETS_SOURCE)
    fc = require("rdkit.Chem.FilterCatalog", "rdkit")
    params = fc.FilterCatalogParams()
    params.AddCatalog(fc.FilterCatalogParams.FilterCatalogs.PAINS)
    return Filters(fc.FilterCatalog(params), explicit_h=False, source=RDKIT_SOURCE)


def filter_source() -> str:
    """Which substructure set :func:`passes_filters` uses (molsets' MCF + PAINS, or RDKit's PAINS)."""
    return moses_filters().source


def passes_rules(mol) -> bool:
    """MOSES' structural rules: no ring of 8+ atoms, no charged atom, only C, N, S, O, F, Cl, Br, H."""
    if any(len(ring) > MAX_RING_SIZE for ring in mol.GetRingInfo().AtomRings()):
        return False
    atoms = mol.GetAtoms()
    return all(a.GetFormalCharge() == 0 for a in atoms) and all(a.GetSymbol() in ALLOWED_ATOMS for a in atoms)


def _passes(mol, filters: Filters, chem) -> bool:
    """MOSES' ``mol_passes_filters`` for one parsed molecule, its cheap rules before the substructure search."""
    if not passes_rules(mol):
        return False
    if filters.catalog.HasMatch(chem.AddHs(mol) if filters.explicit_h else mol):
        return False
    smiles = chem.MolToSmiles(mol, isomericSmiles=False)
    return bool(smiles) and chem.MolFromSmiles(smiles) is not None


def passes_filters(mols: Sequence) -> np.ndarray:
    """Whether each RDKit molecule passes MOSES' filters (None, an invalid one, does not): (n,) bool.

    About 5 ms per drug-like molecule on one core, nearly all of it the ~500 substructure
    searches (in C++, one FilterCatalog call per molecule).
    """
    filters, chem = moses_filters(), rdkit_chem()
    with quiet_rdkit():
        return np.array([m is not None and _passes(m, filters, chem) for m in mols], dtype=bool)


def fraction_passes_filters(smiles: Sequence[str]) -> float:
    """Share of the valid molecules among ``smiles`` passing MOSES' filters (MOSES "Filters"); NaN if none is valid."""
    mols = valid_molecules(smiles)
    return float(passes_filters(mols).mean()) if mols else float("nan")
