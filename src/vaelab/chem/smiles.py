"""RDKit canonical SMILES for lists of strings; invalid input is reported, never silently dropped.

One SMILES string has many spellings (``OCC`` and ``CCO``); RDKit's canonical form
(Schneider, Sayle & Landrum 2015, "Get Your Atoms in Order", J. Chem. Inf. Model. 55:2111)
gives each molecule one, so tokens, vocabularies and novelty checks agree. Stereo and
isotopes are kept (isomeric SMILES).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import numpy as np

from vaelab.chem.deps import quiet_rdkit, rdkit_chem

_CHUNK = 4096  # molecules between progress updates


@dataclass
class InvalidReport:
    """Which input lines could not be used: how many, and the first few with their line numbers."""

    source: str
    total: int
    count: int = 0
    examples: list[tuple[int, str]] = field(default_factory=list)  # (line number, text as read)
    reason: str = "not valid SMILES (RDKit cannot parse it)"

    def message(self) -> str:
        """One line for the user; empty when nothing was invalid."""
        if self.count == 0:
            return ""
        shown = ", ".join(f"line {n}: {_short(t)!r}" for n, t in self.examples)
        more = f", and {self.count - len(self.examples)} more" if self.count > len(self.examples) else ""
        return f"{self.source}: {self.count} of {self.total} entries skipped, {self.reason} ({shown}{more})"

    def to_dict(self) -> dict:
        return {"source": self.source, "total": self.total, "count": self.count, "reason": self.reason,
                "examples": [[int(n), t] for n, t in self.examples]}

    @classmethod
    def from_dict(cls, d: dict) -> "InvalidReport":
        return cls(d["source"], d["total"], d["count"], [(int(n), t) for n, t in d["examples"]], d["reason"])


@dataclass
class Canonical:
    """The valid molecules, canonicalised, in input order, with the line each came from."""

    smiles: list[str]
    lines: np.ndarray  # (n_valid,) int64 line numbers
    kept: np.ndarray  # (n_valid,) int64 positions in the input
    report: InvalidReport


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def canonicalize_one(smiles: str) -> Optional[str]:
    """RDKit canonical isomeric SMILES of one string, or None when it is not a molecule."""
    chem = rdkit_chem()
    with quiet_rdkit():
        mol = chem.MolFromSmiles(smiles)
    return chem.MolToSmiles(mol) if mol is not None and mol.GetNumAtoms() > 0 else None


def canonicalize(smiles: Sequence[str], lines: Optional[Sequence[int]] = None, source: str = "input",
                 max_examples: int = 5, progress: Optional[Callable[[int], None]] = None) -> Canonical:
    """Canonical SMILES of every parsable entry; the others are counted in the report.

    ``lines`` numbers the entries for the report (default 1, 2, ...: the line of a plain
    list); ``progress(n)`` is called with the number of entries done since the last call.
    An empty string, or one RDKit parses into zero atoms, is invalid.
    """
    chem = rdkit_chem()
    numbers = np.arange(1, len(smiles) + 1) if lines is None else np.asarray(lines, dtype=np.int64)
    if len(numbers) != len(smiles):
        raise ValueError(f"{len(smiles)} SMILES but {len(numbers)} line numbers")
    parse, write = chem.MolFromSmiles, chem.MolToSmiles
    out: list[Optional[str]] = []
    with quiet_rdkit():
        for start in range(0, len(smiles), _CHUNK):
            for s in smiles[start:start + _CHUNK]:  # RDKit parses one molecule per call
                mol = parse(s)
                out.append(write(mol) if mol is not None and mol.GetNumAtoms() > 0 else None)
            if progress is not None:
                progress(min(_CHUNK, len(smiles) - start))
    return _collect(out, smiles, numbers, source, max_examples)


def _collect(out: list, smiles: Sequence[str], numbers: np.ndarray, source: str, max_examples: int) -> Canonical:
    """Split the per-entry results (None = invalid) into the valid molecules and the report."""
    ok = np.fromiter((s is not None for s in out), dtype=bool, count=len(out))  # (N,)
    bad = np.flatnonzero(~ok)
    examples = [(int(numbers[i]), smiles[i]) for i in bad[:max_examples]]
    report = InvalidReport(source, len(out), int(bad.size), examples)
    return Canonical([s for s in out if s is not None], numbers[ok], np.flatnonzero(ok), report)
