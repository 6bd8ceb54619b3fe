"""Molecules: canonical SMILES, tokenisers, vocabularies (the data side of the chem extra).

Importing this package needs neither RDKit nor SELFIES; the functions that use them
import them when called and raise :class:`~vaelab.chem.deps.MissingExtra` (install the
chem extra: ``pip install 'vaelab[chem]'``) when they are missing. The molecule
datasets themselves (``qm9``, ``zinc``, ``smiles``) are in :mod:`vaelab.data.molecules`.
"""

from vaelab.chem.deps import MissingExtra, chem_available
from vaelab.chem.smiles import Canonical, InvalidReport, canonicalize, canonicalize_one
from vaelab.chem.tokenize import SelfiesTokenizer, SmilesTokenizer, get_tokenizer, tokenize_smiles
from vaelab.chem.vocab import Vocabulary, as_vocabulary

__all__ = [
    "Canonical",
    "InvalidReport",
    "MissingExtra",
    "SelfiesTokenizer",
    "SmilesTokenizer",
    "Vocabulary",
    "as_vocabulary",
    "canonicalize",
    "canonicalize_one",
    "chem_available",
    "get_tokenizer",
    "tokenize_smiles",
]
