"""Tokenisers that turn a canonical SMILES string into a list of tokens and back.

* ``smiles``: the regular expression of Schwaller et al. 2019 ("Molecular Transformer",
  ACS Cent. Sci. 5:1572, the SMILES tokenizer of its code), made exhaustive. A bracket atom
  (``[C@@H]``, ``[nH]``, ``[NH3+]``, ``[13CH4]``, ``[se]``) is one token; so are ``Cl``,
  ``Br``, each bond (``- = # $ : / \\ .``), each branch parenthesis, ring closures
  ``1``..``9``, ``%nn`` and ``%(nnn)``, the wildcard ``*``, and each aromatic atom
  (``b c n o p s``). Any other character becomes a token of its own, so joining the
  tokens gives back the input string exactly, for every input.
* ``selfies``: SELFIES symbols (Krenn et al. 2020, "Self-referencing embedded strings",
  Mach. Learn.: Sci. Technol. 1:045024), from ``selfies.encoder`` on the canonical SMILES
  and ``selfies.split_selfies``. Every string of symbols decodes to a molecule, which is
  why prior samples stay valid. Encoding RDKit-canonical SMILES matters: QM9 writes nitro
  groups as ``N(=O)=O`` (five bonds on N), which SELFIES' valence rules refuse, while the
  canonical ``[N+](=O)[O-]`` is fine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np

from vaelab.chem.deps import selfies_module
from vaelab.errors import DataError

# Longest alternatives first: "Br" before "B", "Cl" before "C", "%nn" before a lone "%".
SMILES_REGEX = re.compile(
    r"\[[^\[\]]*\]"          # bracket atom: isotope, symbol, chirality, H count, charge, class
    r"|Br|Cl"                # two-letter organic-subset atoms
    r"|%\([0-9]+\)|%[0-9]{2}"  # ring closures above 9
    r"|[BCNOPSFI]|[bcnops]"  # organic subset, aliphatic and aromatic
    r"|[0-9]"                # ring closures 0-9
    r"|[-=#$:/\\.~()*]"      # bonds, disconnection, branches, wildcard
    r"|.",                   # anything else: one character, one token (keeps the round trip exact)
    re.DOTALL,
)
_PROGRESS_EVERY = 4096


def tokenize_smiles(smiles: str) -> list[str]:
    """SMILES -> tokens, with ``"".join(tokens) == smiles`` for every string."""
    return SMILES_REGEX.findall(smiles)


@dataclass
class Tokenized:
    """Tokens of the entries that could be tokenised; ``failed`` holds the indices of the others."""

    tokens: list[list[str]]
    failed: np.ndarray  # (n_failed,) int64 indices into the input


class SmilesTokenizer:
    """Character-level SMILES tokens (see the module docstring)."""

    name = "smiles"
    failure_reason = ""  # never fails

    def tokenize(self, smiles: str) -> list[str]:
        return tokenize_smiles(smiles)

    def tokenize_many(self, smiles: Sequence[str], progress: Optional[Callable[[int], None]] = None) -> Tokenized:
        find = SMILES_REGEX.findall
        out = []
        for start in range(0, len(smiles), _PROGRESS_EVERY):
            out.extend(find(s) for s in smiles[start:start + _PROGRESS_EVERY])
            if progress is not None:
                progress(min(_PROGRESS_EVERY, len(smiles) - start))
        return Tokenized(out, np.zeros(0, dtype=np.int64))

    def to_smiles(self, texts: Sequence[str]) -> list[Optional[str]]:
        """Joined tokens -> SMILES: the text itself (validity is the metrics' business)."""
        return list(texts)


class SelfiesTokenizer:
    """SELFIES symbols of canonical SMILES (see the module docstring)."""

    name = "selfies"
    failure_reason = "SELFIES cannot encode it (a valence outside its rules)"

    def __init__(self):
        self._sf = selfies_module()

    def tokenize(self, smiles: str) -> list[str]:
        """Canonical SMILES -> SELFIES symbols; raises DataError when SELFIES refuses the molecule."""
        try:
            return list(self._sf.split_selfies(self._sf.encoder(smiles)))
        except self._sf.EncoderError as err:
            raise DataError(f"SELFIES cannot encode {smiles!r} ({str(err).splitlines()[0]}); "
                            "use data.options.tokenizer=smiles for this molecule set") from None

    def tokenize_many(self, smiles: Sequence[str], progress: Optional[Callable[[int], None]] = None) -> Tokenized:
        encode, split, error = self._sf.encoder, self._sf.split_selfies, self._sf.EncoderError
        out, failed = [], []
        for i, s in enumerate(smiles):  # the encoder works one molecule at a time
            try:
                out.append(list(split(encode(s))))
            except error:
                failed.append(i)
            if progress is not None and (i + 1) % _PROGRESS_EVERY == 0:
                progress(_PROGRESS_EVERY)
        if progress is not None:
            progress(len(smiles) % _PROGRESS_EVERY)
        return Tokenized(out, np.asarray(failed, dtype=np.int64))

    def to_smiles(self, texts: Sequence[str]) -> list[Optional[str]]:
        """SELFIES strings -> SMILES (not canonical); None where the decoder fails."""
        decode, error = self._sf.decoder, self._sf.DecoderError
        out: list[Optional[str]] = []
        for t in texts:
            try:
                out.append(decode(t))
            except error:
                out.append(None)
        return out


TOKENIZERS = {"smiles": SmilesTokenizer, "selfies": SelfiesTokenizer}


def get_tokenizer(name: str):
    """The tokenizer called ``name``: ``smiles`` or ``selfies``."""
    if name not in TOKENIZERS:
        raise DataError(f"unknown tokenizer {name!r}; choose {' or '.join(TOKENIZERS)} "
                        "(data.options.tokenizer)")
    return TOKENIZERS[name]()
