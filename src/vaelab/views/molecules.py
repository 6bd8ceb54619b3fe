"""The arrays behind the molecule figures of a token (SMILES/SELFIES) run, saved as ``RUN_DIR/arrays/*.npz``.

Each builder decodes latent codes with the run's model (``decode(z).mean`` is the
greedy-decoded ids), turns ids into SMILES with the run's vocabulary and tokenizer, and
stores strings as NumPy unicode arrays (loadable with ``allow_pickle=False``). The
layouts are in docs/run-arrays.md. A run whose data is not tokens gets a small file
holding only ``kind`` and ``reason``, so ``vaelab plot`` can build every figure's
arrays for any run and the drawing step skips these figures with that reason.

Validity is RDKit's: a decoded string is valid when RDKit parses it into a molecule
with at least one atom; valid strings are stored as RDKit canonical SMILES, invalid
ones as decoded.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import torch

from vaelab.chem.decode import canonical_or_decoded
from vaelab.chem.properties import properties
from vaelab.fileio import load_npz
from vaelab.views.codes import base_code, dim_activity, sampled_codes
from vaelab.views.paths import lerp, slerp

RDKIT_MAP_PROPERTIES = ("logp", "qed")  # computed for the molecule map besides the dataset's own columns


# ------------------------------------------------------------------ helpers

def not_applicable(run) -> Optional[dict]:
    """For a run whose data is not tokens: the arrays that say why its molecule figures are skipped."""
    if run.kind == "tokens":
        return None
    return {"kind": np.asarray(run.kind),
            "reason": np.asarray(f"not token data ({run.kind}): molecule figures need a SMILES or SELFIES run")}


def str_array(texts: Sequence[Optional[str]], shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Strings as a NumPy unicode array (None becomes ""), optionally reshaped; never an object array."""
    arr = np.asarray(["" if t is None else str(t) for t in texts], dtype=str)
    return arr.reshape(shape) if shape is not None else arr


def _info(run) -> dict:
    return run.data.info


def _tokens_meta(run) -> dict:
    info = _info(run)
    return {"kind": np.asarray("tokens"), "tokenizer": np.asarray(str(info.get("tokenizer", "smiles")))}


def decode_molecules(run, z: torch.Tensor, batch_size: int = 500) -> tuple[list[str], np.ndarray]:
    """Decode codes z (N, d) greedily and read them as molecules: (strings, valid (N,) bool).

    Valid strings are RDKit canonical SMILES; the others are kept as decoded.
    """
    texts, smiles = run.decode_texts(torch.as_tensor(z, dtype=torch.float32), batch_size)
    return canonical_or_decoded(smiles, texts)


def _saved_test_means(run, rows: np.ndarray, n_test: int) -> Optional[np.ndarray]:
    """Rows of ``arrays/posterior_test.npz``'s ``mu`` when that file exists and matches the split."""
    file = run.layout.arrays("posterior_test")
    if not file.is_file():
        return None
    saved = load_npz(file)  # a damaged file is named (DamagedFile), never read silently
    if "mu" not in saved or len(saved["mu"]) != n_test:
        return None
    return np.asarray(saved["mu"][rows], dtype=np.float32)


def _subset(n: int, k: Optional[int], seed: int) -> np.ndarray:
    """``k`` sorted random indices into range(n) (all of them when k is None or >= n)."""
    if k is None or n <= k:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=k, replace=False))


def property_table(smiles: list[str], info: dict, split: str, rows: np.ndarray,
                    rdkit_names: Sequence[str]) -> tuple[np.ndarray, list[str], list[str]]:
    """The dataset's property columns for ``rows`` plus RDKit properties: (N, P) float32, names, units."""
    names = [str(n) for n in info.get("property_names") or []]
    units = info.get("property_units") or {}
    table = info.get("properties", {}).get(split)
    cols = [np.asarray(table, dtype=np.float32)[rows]] if names and table is not None else []
    extra = [n for n in rdkit_names if n not in names]
    if extra:
        computed = properties(smiles, extra)
        cols.append(np.stack([computed[n] for n in extra], axis=1).astype(np.float32))
    names = names + extra if cols else []
    table = np.concatenate(cols, axis=1) if cols else np.zeros((len(smiles), 0), np.float32)
    return table, names, [str(units.get(n, "")) for n in names]


# ------------------------------------------------------------------ builders

def molecule_map_arrays(run, max_points: int = 3000, seed: int = 0,
                        rdkit_properties: Sequence[str] = RDKIT_MAP_PROPERTIES) -> dict:
    """Test molecules at their posterior means, for the ``molecule-map`` figure.

    A seeded random subset of at most ``max_points`` test molecules: their codes ``mu``
    (projected to 2-D when drawn, PCA or t-SNE), canonical SMILES, the molecule each code
    decodes to, and property columns (the dataset's own, plus ``rdkit_properties``
    computed with RDKit) to colour the points by; ``colour_by`` names the default, the
    dataset's score if it has one, else logP.
    """
    skip = not_applicable(run)
    if skip is not None:
        return skip
    info = _info(run)
    test_smiles = list(info["smiles"]["test"])
    rows = _subset(len(test_smiles), max_points, seed)
    mu = _saved_test_means(run, rows, len(test_smiles))
    if mu is None:
        mu = run.encode_means("test", rows).cpu().numpy()
    smiles = [test_smiles[i] for i in rows]
    decoded, decoded_valid = decode_molecules(run, torch.as_tensor(mu))
    table, names, units = property_table(smiles, info, "test", rows, rdkit_properties)
    score = info.get("score")
    colour_by = score if score in names else ("logp" if "logp" in names else (names[0] if names else ""))
    return {"mu": mu.astype(np.float32), "index": rows.astype(np.int64), "smiles": str_array(smiles),
            "decoded": str_array(decoded), "decoded_valid": decoded_valid, "properties": table,
            "property_names": str_array(names), "property_units": str_array(units),
            "colour_by": np.asarray(colour_by), "n_test": np.asarray(len(test_smiles), dtype=np.int64),
            **_tokens_meta(run)}


@torch.no_grad()
def molecule_traversal_arrays(run, steps: int = 9, limit: float = 3.0, max_dims: int = 8,
                              base: str = "zero") -> dict:
    """Single-dimension traversals decoded to molecules, for ``molecule-traversals``.

    The ``max_dims`` most active dimensions (activity from diagnostics.json, else the
    test codes), each from ``-limit`` to ``+limit`` in ``steps`` steps, the others at 0
    (``base="zero"``) or at the first test molecule's posterior mean (``base="data"``).
    """
    skip = not_applicable(run)
    if skip is not None:
        return skip
    d = run.model.latent_dim
    activity = dim_activity(run)
    order = np.argsort(-activity, kind="stable")[: max(1, min(max_dims, d))]
    values = torch.linspace(-limit, limit, steps, device=run.device)  # (S,)
    z0 = base_code(run, base)  # (d,)
    base_smiles = str(_info(run)["smiles"]["test"][0]) if base == "data" else ""
    rows = len(order)
    z = z0.expand(rows, steps, d).clone()  # (R, S, d)
    z[torch.arange(rows), :, torch.as_tensor(order.copy(), device=run.device)] = values  # row r varies order[r]
    smiles, valid = decode_molecules(run, z.reshape(rows * steps, d))
    return {"values": values.cpu().numpy().astype(np.float32), "dims": order.astype(np.int64),
            "activity": activity[order].astype(np.float64), "smiles": str_array(smiles, (rows, steps)),
            "valid": valid.reshape(rows, steps), "base": np.asarray(base), "base_smiles": np.asarray(base_smiles),
            "latent_dim": np.asarray(d, dtype=np.int64), **_tokens_meta(run)}


@torch.no_grad()
def molecule_interpolation_arrays(run, pairs: int = 4, steps: int = 8, seed: int = 0) -> dict:
    """Linear and spherical paths between the codes of random pairs of test molecules, decoded.

    ``start`` and ``end`` are the pairs' own SMILES (the paths' ends decode their
    posterior means, which need not give them back).
    """
    skip = not_applicable(run)
    if skip is not None:
        return skip
    test_smiles = list(_info(run)["smiles"]["test"])
    n = len(test_smiles)
    chosen = np.random.default_rng(seed).permutation(n)[: 2 * pairs]
    pairs = len(chosen) // 2
    rows = chosen[: 2 * pairs].reshape(2, pairs).T  # (P, 2): start, end rows
    mu = run.encode_means("test", rows.T.reshape(-1))  # (2P, d)
    a, b = mu[:pairs], mu[pairs:]
    t = torch.linspace(0, 1, steps, device=run.device)
    out = {"t": t.cpu().numpy().astype(np.float32), "index": rows.astype(np.int64),
           "start": str_array([test_smiles[i] for i in rows[:, 0]]),
           "end": str_array([test_smiles[i] for i in rows[:, 1]])}
    for key, path in (("linear", lerp(a, b, t)), ("spherical", slerp(a, b, t))):  # (P, S, d)
        smiles, valid = decode_molecules(run, path.reshape(pairs * steps, -1))
        out[key] = str_array(smiles, (pairs, steps))
        out[f"{key}_valid"] = valid.reshape(pairs, steps)
    return {**out, **_tokens_meta(run)}


PROPERTY_NAMES = ("logp", "qed", "sa")


@torch.no_grad()
def property_histogram_arrays(run, n: int = 1000, n_train: int = 1000, sampler: Optional[str] = None,
                              seed: int = 0, names: Sequence[str] = PROPERTY_NAMES) -> dict:
    """RDKit properties (logP, QED, SA score) of decoded samples and of training molecules.

    ``n`` codes from ``sampler`` (default: the model's ``n_sampler``, the prior for a
    VAE) are decoded; ``samples`` holds the properties of each (NaN where the decoded
    string is not a molecule). ``train`` holds those of ``n_train`` random training
    molecules.
    """
    skip = not_applicable(run)
    if skip is not None:
        return skip
    name = sampler or getattr(run.model, "n_sampler", "prior")
    z = sampled_codes(run, name, n, seed)  # (n, d)
    smiles, valid = decode_molecules(run, z)
    train_all = list(_info(run)["smiles"]["train"])
    train = [train_all[i] for i in _subset(len(train_all), n_train, seed)]
    names = [str(p) for p in names]

    def table(texts: list[str]) -> np.ndarray:  # (N, P) float32, NaN where not a molecule
        values = properties(texts, names) if texts else {p: np.zeros(0) for p in names}
        return np.stack([values[p] for p in names], axis=1).astype(np.float32).reshape(len(texts), len(names))

    return {"names": str_array(names), "samples": table([s if ok else "" for s, ok in zip(smiles, valid)]),
            "train": table(train), "sample_smiles": str_array(smiles), "valid": valid,
            "sampler": np.asarray(name), "n_train": np.asarray(len(train_all), dtype=np.int64), **_tokens_meta(run)}


MOLECULE_BUILDERS = {
    "molecule_map": molecule_map_arrays,
    "molecule_traversals": molecule_traversal_arrays,
    "molecule_interpolations": molecule_interpolation_arrays,
    "property_histograms": property_histogram_arrays,
}
