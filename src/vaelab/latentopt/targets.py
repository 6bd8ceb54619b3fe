"""The properties a run can be optimised for, and their values per split.

* molecule runs (token data with SMILES in ``data.info``): the RDKit properties
  ``logp``, ``qed``, ``sa``, ``mw`` (:mod:`vaelab.chem.properties`), computed from the
  split's SMILES and checkable on decoded molecules; and every column of the dataset's
  property table (QM9: ``gap``, ``homo``, ``lumo``, ...), which RDKit cannot compute,
  so the optimisation reports them as predicted only. An RDKit name wins over a
  column of the same name, so the decoded molecules can be checked.
* other runs: ``score`` when the dataset has per-example scores (``Split.score``), and
  ``label:K`` (1 for examples of class K, else 0: the predictor learns how much a code
  looks like class K) when it has labels. Predicted only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import torch

from vaelab.chem.properties import properties
from vaelab.errors import ConfigError

RDKIT_PROPERTIES = ("logp", "qed", "sa", "mw")
#: properties where smaller is better (the default direction is "maximize" otherwise)
SMALLER_IS_BETTER = {"sa": "SA score: 1 = easy to synthesise, 10 = hard"}
_LABEL = re.compile(r"label:(\d+)$")
_RDKIT_CHUNK = 2000


@dataclass(frozen=True)
class PropertyTarget:
    """A property of a run: its name, where its values come from, and whether decoded items can be checked."""

    name: str
    source: str  # "rdkit", "column", "score" or "label"
    checkable: bool  # True: the real value of a decoded molecule is computed (RDKit)
    description: str
    column: int | None = None  # the column of info["properties"] (source "column")
    label: int | None = None  # the class K (source "label")

    @property
    def folder(self) -> str:
        """The property's folder name under ``RUN_DIR/lso/``: ``label:7`` becomes ``label-7``."""
        return re.sub(r"[^A-Za-z0-9_.-]", "-", self.name)


def is_molecule_run(run) -> bool:
    """True for token data with SMILES and a vocabulary (the qm9, zinc and smiles datasets)."""
    info = run.data.info
    return run.data.kind == "tokens" and "smiles" in info and "vocabulary" in info


def available(run) -> list[str]:
    """The property names :func:`resolve` accepts for this run, in the order they are listed."""
    data = run.data
    if is_molecule_run(run):
        return list(RDKIT_PROPERTIES) + [n for n in data.info.get("property_names", []) if n not in RDKIT_PROPERTIES]
    names = ["score"] if data.train.score is not None else []
    n_classes = data.n_classes if data.train.y is not None else None
    return names + [f"label:{k}" for k in range(n_classes or 0)]


def describe_available(names: list[str]) -> str:
    """The names on one line, class indicators abbreviated: ``score, label:0 .. label:9 (class indicators)``."""
    labels = [n for n in names if n.startswith("label:")]
    rest = [n for n in names if not n.startswith("label:")]
    if len(labels) > 3:
        rest.append(f"label:0 .. label:{len(labels) - 1} (class indicators)")
    else:
        rest += labels
    return ", ".join(rest)


def resolve(run, name: str) -> PropertyTarget:
    """The :class:`PropertyTarget` called ``name``; an unknown name is an error listing the available ones."""
    names = available(run)
    if not names:
        what = "token data without SMILES" if run.data.kind == "tokens" else f"'{run.data.name}' data"
        raise ConfigError(f"this run ({what}) has no property to optimise: no molecule properties, per-example "
                          "scores or labels; train on a molecule dataset (qm9, zinc, smiles) or on data with "
                          "scores (dataset array, option score_key), or use --task match for images")
    if name not in names:
        raise ConfigError(f"unknown property '{name}' for this run; available: {describe_available(names)}")
    if name in RDKIT_PROPERTIES and is_molecule_run(run):
        hint = SMALLER_IS_BETTER.get(name, "")
        return PropertyTarget(name, "rdkit", True, f"{name} computed by RDKit" + (f" ({hint})" if hint else ""))
    if is_molecule_run(run):
        col = list(run.data.info["property_names"]).index(name)
        return PropertyTarget(name, "column", False, f"dataset column '{name}' (RDKit cannot compute it: "
                                                     "predicted only)", column=col)
    if name == "score":
        return PropertyTarget(name, "score", False, "the dataset's per-example score (predicted only)")
    k = int(_LABEL.match(name).group(1))
    return PropertyTarget(name, "label", False, f"indicator of class {k} (predicted only)", label=k)


def rdkit_values(smiles: list, name: str, progress=None) -> np.ndarray:
    """An RDKit property of each SMILES string: (n,) float64, NaN where invalid; in chunks for a progress bar."""
    out = np.full(len(smiles), np.nan)
    for s in range(0, len(smiles), _RDKIT_CHUNK):
        out[s : s + _RDKIT_CHUNK] = properties(smiles[s : s + _RDKIT_CHUNK], [name])[name]
        if progress is not None:
            progress(min(s + _RDKIT_CHUNK, len(smiles)))
    return out


def values(run, target: PropertyTarget, split: str, idx: np.ndarray | None = None, progress=None) -> np.ndarray:
    """The property of the split's examples ``idx`` (default all): (n,) float64, NaN where unknown."""
    data, n = run.data, len(run.data.split(split))
    idx = np.arange(n) if idx is None else np.asarray(idx)
    if target.source == "rdkit":
        smiles = data.info["smiles"][split]  # rows line up with the split's ids (a train limit keeps the first n)
        return rdkit_values([smiles[i] for i in idx], target.name, progress)
    if target.source == "column":
        return np.asarray(data.info["properties"][split], dtype=np.float64)[idx, target.column]
    s = data.split(split)
    if target.source == "score":
        return s.score.double().numpy()[idx]
    return (s.y.numpy()[idx] == target.label).astype(np.float64)
