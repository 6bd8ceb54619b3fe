"""Where the latent ascent starts: the worst test examples, random test examples, or sampled codes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from vaelab.errors import ConfigError
from vaelab.views.codes import sampled_codes

START_KINDS = {
    "worst": "the test examples with the lowest predicted property (the highest when minimising)",
    "random": "random test examples",
    "prior": "codes drawn from the model's sampler (the prior for VAEs, a Gaussian fitted to the training codes "
             "for models without one)",
}
POOL = 10_000  # test examples searched for the worst starts at most (a seeded subset of larger test splits)


@dataclass
class Starts:
    z: torch.Tensor  # (K, d) on the run's device
    kind: str
    test_index: np.ndarray | None  # (K,) rows of the test split the starts encode (None for sampled codes)


def _pool(n: int, seed: int) -> np.ndarray:
    if n <= POOL:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=POOL, replace=False))


def check_starts(run, k: int, kind: str) -> None:
    """Raise ConfigError for a start kind or count the run cannot give (called before any fitting)."""
    if kind not in START_KINDS:
        raise ConfigError(f"unknown start '{kind}'; choose {', '.join(START_KINDS)}")
    if k < 1:
        raise ConfigError(f"--starts must be at least 1, got {k}")
    n = len(run.data.test)
    if kind != "prior" and n < k:
        raise ConfigError(f"the test split has {n} examples, fewer than --starts {k}; ask for fewer starts "
                          "or start from prior draws (--start prior)")


@torch.no_grad()
def choose_starts(run, score, k: int, kind: str = "worst", seed: int = 0) -> Starts:
    """K starting codes. ``score`` maps codes (n, d) to what the ascent maximises (n,)."""
    check_starts(run, k, kind)
    if kind == "prior":
        return Starts(sampled_codes(run, run.model.n_sampler, k, seed=seed).float(), kind, None)
    n = len(run.data.test)
    if kind == "random":
        idx = np.sort(np.random.default_rng(seed).choice(n, size=k, replace=False))
        return Starts(run.encode_means("test", rows=idx), kind, idx)
    pool = _pool(n, seed)
    codes = run.encode_means("test", rows=pool)  # (n_pool, d)
    order = torch.argsort(score(codes)).cpu().numpy()[:k]  # the k lowest scores
    return Starts(codes[torch.as_tensor(order, device=codes.device)], kind, pool[order])
