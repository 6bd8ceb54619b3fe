"""Morgan fingerprints as Python sets of on-bits, for Tanimoto similarities computed by hand in the tests."""

from __future__ import annotations


def on_bits(smiles: str) -> set[int]:
    """The on-bits of RDKit's Morgan fingerprint (radius 2, 1024 bits; MOSES' setting) of one molecule."""
    from rdkit import Chem
    from rdkit.Chem import rdFingerprintGenerator

    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    return set(gen.GetFingerprint(Chem.MolFromSmiles(smiles)).GetOnBits())


def tanimoto(a: str, b: str) -> float:
    """|A ∩ B| / |A ∪ B| of the two molecules' on-bit sets."""
    x, y = on_bits(a), on_bits(b)
    return len(x & y) / len(x | y)
