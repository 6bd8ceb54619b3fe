"""Decode points of the latent paths into molecules and check them with RDKit.

z -> token ids (the likelihood's ``mean``: greedy decoding for a sequence decoder) ->
text (vocabulary) -> SMILES (tokenizer: SELFIES are translated back) -> RDKit canonical
SMILES, or None when RDKit cannot parse it -> the real property, for the properties
RDKit computes. Every distinct string is parsed and scored once, however often the
paths decode to it (paths dwell on one molecule for many steps).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch

from vaelab.chem.smiles import canonicalize_one
from vaelab.latentopt.targets import rdkit_values

Decoder = Callable[[torch.Tensor], list]  # codes (n, d) -> n SMILES strings (or None)


@dataclass
class PathCheck:
    """The molecules at the checked steps of K paths."""

    steps: np.ndarray  # (C,) int64 the steps that were decoded
    smiles: np.ndarray  # (C, K) object: canonical SMILES, None where invalid
    valid: np.ndarray  # (C, K) bool
    real: np.ndarray  # (C, K) float64: the real property; NaN where invalid or where RDKit cannot compute it

    @property
    def validity(self) -> np.ndarray:
        """Share of the K paths whose decoded molecule is valid, per checked step: (C,)."""
        return self.valid.mean(1)


def canonical_map(texts: Sequence) -> dict:
    """Each distinct string -> its RDKit canonical SMILES, or None where it is not a molecule."""
    return {t: (canonicalize_one(t) if isinstance(t, str) and t.strip() else None) for t in set(texts)}


def property_map(smiles: Sequence, name: str | None) -> dict:
    """Each distinct valid canonical SMILES -> the RDKit property ``name`` (an empty map for None)."""
    if name is None:
        return {}
    unique = sorted({s for s in smiles if s is not None})
    return dict(zip(unique, rdkit_values(unique, name))) if unique else {}


def check_points(decode: Decoder, z: torch.Tensor, steps: np.ndarray, rdkit_property: str | None) -> PathCheck:
    """Decode the codes z (C, K, d) of C checked steps; validity and (when ``rdkit_property``) the real property."""
    c, k, d = z.shape
    texts = decode(z.reshape(c * k, d))  # C*K strings
    canon = canonical_map(texts)
    smiles = np.array([canon[t] for t in texts], dtype=object).reshape(c, k)  # (C, K)
    valid = np.array([s is not None for s in smiles.ravel()]).reshape(c, k)  # (C, K)
    values = property_map(smiles.ravel(), rdkit_property)
    real = np.array([values.get(s, np.nan) if s is not None else np.nan for s in smiles.ravel()],
                    dtype=np.float64).reshape(c, k)  # (C, K)
    return PathCheck(np.asarray(steps, dtype=np.int64), smiles, valid, real)


def path_molecules(check: PathCheck, predicted: np.ndarray) -> list[list[dict]]:
    """The distinct valid molecules along each path, in the order they appear.

    ``predicted`` (C, K): the predicted property at the checked codes. Each molecule is
    ``{"smiles", "step" (first checked step it appeared), "real", "predicted" (at that step)}``.
    """
    out = []
    for j in range(check.smiles.shape[1]):
        seen: dict[str, dict] = {}
        for i, s in enumerate(check.smiles[:, j]):
            if s is not None and s not in seen:
                seen[s] = {"smiles": s, "step": int(check.steps[i]), "real": _num(check.real[i, j]),
                           "predicted": float(predicted[i, j]), "path": j}
        out.append(list(seen.values()))
    return out


def best_molecules(paths: list[list[dict]], n: int = 10, sign: float = 1.0, by: str = "real",
                   exclude: set | None = None) -> list[dict]:
    """The ``n`` best distinct molecules over all paths by ``by`` (``real`` or ``predicted``), times ``sign``.

    A molecule met on several paths counts once, with its earliest appearance;
    ``exclude`` drops given SMILES (e.g. the start molecules). Molecules without a
    value for ``by`` come last.
    """
    first: dict[str, dict] = {}
    for mols in paths:
        for m in mols:
            if (exclude is None or m["smiles"] not in exclude) and (
                    m["smiles"] not in first or m["step"] < first[m["smiles"]]["step"]):
                first[m["smiles"]] = m
    key = lambda m: (m[by] is None, -sign * (m[by] if m[by] is not None else 0.0))  # noqa: E731
    return sorted(first.values(), key=key)[:n]


def _num(v: float) -> float | None:
    return None if not np.isfinite(v) else float(v)
