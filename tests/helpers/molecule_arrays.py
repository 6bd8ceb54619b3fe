"""Synthetic molecule-figure arrays (docs/run-arrays.md) made of real QM9 SMILES, no model needed.

``molecule_arrays(n)`` returns the four files' dicts for a token run;
``write_molecule_arrays(folder, kind)`` writes them, or, for any other data kind, the
files a non-token run gets (``kind`` and ``reason`` only).
"""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from vaelab.views.molecules import not_applicable

FIXTURE = Path(__file__).resolve().parents[1] / "chem" / "fixtures" / "qm9_200.csv"
INVALID = "C1CC(N"  # unclosed ring and branch: not a molecule
NAMES = ("molecule_map", "molecule_traversals", "molecule_interpolations", "property_histograms")


def qm9_smiles() -> list[str]:
    with open(FIXTURE, newline="") as f:
        return [row["SMILES"] for row in csv.DictReader(f)]


def qm9_gap() -> np.ndarray:
    with open(FIXTURE, newline="") as f:
        return np.array([float(row["gap"]) for row in csv.DictReader(f)], dtype=np.float32)


def _tokens(**arrays) -> dict:
    return {"kind": np.asarray("tokens"), "tokenizer": np.asarray("smiles"), **arrays}


def molecule_arrays(n: int = 200, d: int = 8, seed: int = 0) -> dict[str, dict]:
    """The four molecule files of a token run over the first ``n`` (<= 200) fixture molecules.

    Codes are a random linear map of a molecule's length and ring/heteroatom counts, so
    similar molecules lie close together; about one decoded string in five is invalid.
    """
    rng = np.random.default_rng(seed)
    smiles = np.asarray(qm9_smiles()[:n], dtype=str)
    n = len(smiles)
    feats = np.stack([[len(s), s.count("1"), s.count("O"), s.count("N"), s.count("=")] for s in smiles]).astype(float)
    feats = (feats - feats.mean(0)) / (feats.std(0) + 1e-9)
    mu = (feats @ rng.standard_normal((feats.shape[1], d)) + 0.3 * rng.standard_normal((n, d))).astype(np.float32)
    decoded = smiles.copy()
    bad = rng.random(n) < 0.2
    decoded[bad] = INVALID
    gap = qm9_gap()[:n]
    logp = rng.normal(0.3, 1.0, n).astype(np.float32)
    mol_map = _tokens(mu=mu, index=np.arange(n, dtype=np.int64), smiles=smiles, decoded=decoded, decoded_valid=~bad,
                      properties=np.stack([gap, logp], 1), property_names=np.asarray(["gap", "logp"]),
                      property_units=np.asarray(["Ha", ""]), colour_by=np.asarray("gap"),
                      n_test=np.asarray(n, dtype=np.int64))
    rows, steps = 6, 9
    pick = smiles[rng.integers(0, n, (rows, steps))]
    valid = rng.random((rows, steps)) > 0.2
    trav = _tokens(values=np.linspace(-3, 3, steps).astype(np.float32), dims=np.arange(rows)[::-1].astype(np.int64),
                   activity=np.linspace(1.5, 0.01, rows), smiles=np.where(valid, pick, INVALID), valid=valid,
                   base=np.asarray("zero"), base_smiles=np.asarray(""), latent_dim=np.asarray(d, dtype=np.int64))
    pairs, steps = 4, 8
    lin, sph = (smiles[rng.integers(0, n, (pairs, steps))] for _ in range(2))
    sph_valid = rng.random((pairs, steps)) > 0.3
    interp = _tokens(t=np.linspace(0, 1, steps).astype(np.float32), index=np.arange(2 * pairs).reshape(pairs, 2),
                     start=smiles[:pairs], end=smiles[pairs:2 * pairs], linear=lin,
                     linear_valid=np.ones((pairs, steps), bool), spherical=np.where(sph_valid, sph, INVALID),
                     spherical_valid=sph_valid)
    k = 120
    sample_valid = rng.random(k) > 0.25
    samples = rng.normal([0.8, 0.45, 4.0], [1.0, 0.08, 0.8], (k, 3)).astype(np.float32)
    samples[~sample_valid] = np.nan
    hist = _tokens(names=np.asarray(["logp", "qed", "sa"]), samples=samples,
                   train=rng.normal([0.3, 0.47, 4.3], [1.0, 0.07, 0.9], (150, 3)).astype(np.float32),
                   sample_smiles=np.where(sample_valid, smiles[rng.integers(0, n, k)], INVALID), valid=sample_valid,
                   sampler=np.asarray("prior"), n_train=np.asarray(100_000, dtype=np.int64))
    return dict(zip(NAMES, (mol_map, trav, interp, hist)))


def not_token_arrays(kind: str) -> dict:
    """What the molecule builders write for a run whose data is ``kind`` (not tokens)."""
    return not_applicable(SimpleNamespace(kind=kind))


def write_molecule_arrays(folder: Path, kind: str, seed: int = 0) -> None:
    """Write ``folder/<name>.npz`` for the four molecule files, as a run of data ``kind`` gets them."""
    files = molecule_arrays(seed=seed) if kind == "tokens" else {name: not_token_arrays(kind) for name in NAMES}
    for name, arrays in files.items():
        np.savez(Path(folder) / f"{name}.npz", **arrays)
