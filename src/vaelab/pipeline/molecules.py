"""Molecule metrics of a token run: reconstruction accuracy and the MOSES metrics of its samples.

Reconstruction follows Gómez-Bombarelli et al. 2018 (sec. "Results"): decode the
posterior mean of each test molecule greedily and compare canonical SMILES. Samples
are scored with :func:`vaelab.chem.metrics.sample_metrics` (Polykovskiy et al. 2020,
sec. "Metrics": validity, uniqueness, novelty against the training set, internal
diversity, Filters, logP/QED/SA/weight means, FCD against the test set, and SNN, Frag,
Scaf and the property distances against a seeded random subset of at most
:data:`~vaelab.pipeline.defaults.MOLECULE_REFERENCE` test molecules).
"""

from __future__ import annotations

import numpy as np
import torch

from vaelab.chem.decode import ids_to_smiles
from vaelab.chem.deps import rdkit_chem
from vaelab.chem.metrics import sample_metrics
from vaelab.chem.properties import to_molecules
from vaelab.chem.reference import set_statistics
from vaelab.pipeline.defaults import MOLECULE_REFERENCE, MOLECULE_SAMPLES
from vaelab.views import sampled_codes


def _canonical_or_none(smiles) -> list:
    chem = rdkit_chem()
    return [None if m is None else chem.MolToSmiles(m) for m in to_molecules(smiles)]


def token_accuracy(x: torch.Tensor, ids: torch.Tensor) -> float:
    """Share of positions where the decoded ids equal the data's, over the data's real tokens and eos.

    x (N, L) and ids (N, L') are bos-first id tensors (pad 0); positions past the
    shorter length count as wrong. bos (column 0) is not a prediction and is left out.
    """
    n, length = x.shape
    pred = torch.zeros_like(x)  # (N, L), pad where the decoder stopped early
    k = min(length, ids.shape[1])
    pred[:, :k] = ids[:, :k].to(x.device)
    mask = x[:, 1:] != 0  # (N, L-1) real tokens and eos
    return float(((pred[:, 1:] == x[:, 1:]) & mask).sum() / mask.sum().clamp_min(1))


@torch.no_grad()
def reconstruction_metrics(run, split: str = "test", mu: torch.Tensor | None = None, limit: int = 10000) -> dict:
    """Share of molecules whose greedily decoded posterior mean is the same canonical molecule, and token accuracy."""
    x = run.eval_data(split)[:limit]  # (N, L) ids
    if mu is None:
        mu = run.encode_means(split, rows=np.arange(x.shape[0]))  # (N, d)
    ids = run.decode_means(mu[: x.shape[0]])  # (N, L') greedy ids
    decoded = _canonical_or_none(ids_to_smiles(ids, run.data.info))
    truth = run.data.info["smiles"][split][: x.shape[0]]  # canonical already
    same = sum(d is not None and d == t for d, t in zip(decoded, truth))
    return {"reconstruction_accuracy": same / len(truth), "token_accuracy": token_accuracy(x, ids),
            "reconstruction_n": len(truth)}


def reference_subset(smiles: list[str], limit: int | None, seed: int = 0) -> list[str]:
    """At most ``limit`` of ``smiles``: all of them, or a seeded random subset in their original order."""
    if limit is None or len(smiles) <= limit:
        return list(smiles)
    rows = np.sort(np.random.default_rng(seed).choice(len(smiles), size=limit, replace=False))  # (limit,)
    return [smiles[i] for i in rows]


@torch.no_grad()
def sample_metrics_of_run(run, n: int = MOLECULE_SAMPLES, seed: int = 0, split: str = "test",
                          n_reference: int | None = MOLECULE_REFERENCE) -> dict:
    """The MOSES metrics of n decoded samples from the model's ``n_sampler`` (prior, or a fitted density).

    The FCD compares them with the whole ``split``; SNN, Frag, Scaf and the property
    distances with at most ``n_reference`` of its molecules (None: all), reported as ``reference_n``.
    """
    z = sampled_codes(run, run.model.n_sampler, n, seed)  # (n, d)
    generated = [s or "" for s in run.decode_smiles(z)]
    info = run.data.info
    reference = reference_subset(info["smiles"][split], n_reference, seed)
    out = sample_metrics(generated, info["smiles"]["train"], info["smiles"][split], train_is_canonical=True,
                         reference_stats=set_statistics(reference), fcd_stats=reference_fcd_stats(info["smiles"][split]))
    out["reference_n"] = len(reference)
    out["sampler"] = run.model.n_sampler
    out["examples"] = [s for s in generated if s][:10]
    return out


def reference_fcd_stats(smiles: list[str]) -> dict | None:
    """ChemNet statistics of a reference set (the FCD's test side), cached in ``$VAELAB_CACHE/fcd-stats/``.

    Computing them takes about a minute for QM9's 13,000 test molecules on a CPU, once per
    set: the key hashes the molecules and the fcd_torch and torch versions. None when
    fcd_torch is missing or the set has fewer than 2 valid molecules (the FCD then reports why).
    """
    import hashlib

    from vaelab.chem.cache import package_version
    from vaelab.chem.fcd import chemnet_stats
    from vaelab.data.registry import default_cache_dir
    from vaelab.errors import VaelabError
    from vaelab.fileio import save_npz

    digest = hashlib.sha256("\n".join(smiles).encode())
    digest.update(f"{package_version('fcd_torch')} {torch.__version__}".encode())
    path = default_cache_dir() / "fcd-stats" / f"{digest.hexdigest()[:20]}.npz"
    try:
        with np.load(path, allow_pickle=False) as cached:
            return {"mu": cached["mu"], "sigma": cached["sigma"], "n": int(cached["n"])}
    except (OSError, ValueError, KeyError):
        pass
    try:
        stats = chemnet_stats(smiles)
    except VaelabError:  # fcd_torch missing, or too few valid molecules: the FCD entry says why
        return None
    save_npz(path, {"mu": stats["mu"], "sigma": stats["sigma"], "n": np.asarray(stats["n"])})
    return stats


def molecule_metrics(run, split: str = "test", mu: torch.Tensor | None = None, n_samples: int = MOLECULE_SAMPLES,
                     seed: int = 0, n_reference: int | None = MOLECULE_REFERENCE) -> dict:
    """Reconstruction accuracy, token accuracy and the sample metrics of a token run, one dict."""
    out = reconstruction_metrics(run, split, mu)
    out["samples"] = sample_metrics_of_run(run, n_samples, seed, split, n_reference)
    return out
