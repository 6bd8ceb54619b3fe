"""From token ids to SMILES: the run's vocabulary, then its tokenizer (SELFIES are translated back)."""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import torch

from vaelab.chem.smiles import canonicalize_one
from vaelab.chem.tokenize import get_tokenizer
from vaelab.chem.vocab import as_vocabulary


def ids_to_texts(ids: torch.Tensor, info: dict) -> tuple[list[str], list[Optional[str]]]:
    """Token ids (N, L) to (texts, SMILES): the vocabulary's strings and the tokenizer's SMILES of them.

    The SMILES are None where a SELFIES string cannot be translated back.
    """
    texts = as_vocabulary(info["vocabulary"]).decode(ids.cpu() if isinstance(ids, torch.Tensor) else ids)
    return texts, get_tokenizer(str(info.get("tokenizer", "smiles"))).to_smiles(texts)


def ids_to_smiles(ids: torch.Tensor, info: dict) -> list[Optional[str]]:
    """Token ids (N, L) to SMILES with the dataset's vocabulary and tokenizer (None where SELFIES cannot decode)."""
    return ids_to_texts(ids, info)[1]


def canonical_or_decoded(smiles: Sequence[Optional[str]],
                         texts: Sequence[str] | None = None) -> tuple[list[str], np.ndarray]:
    """(strings, valid (N,) bool): RDKit canonical SMILES where valid, else the decoded SMILES, else its text.

    A string is valid when RDKit parses it into a molecule with at least one atom.
    """
    texts = [""] * len(smiles) if texts is None else texts
    canon = [canonicalize_one(s) if s else None for s in smiles]
    out = [c if c is not None else (s if s is not None else t) for c, s, t in zip(canon, smiles, texts)]
    return out, np.array([c is not None for c in canon], dtype=bool)
