"""Fixed-seed train/valid/test splits."""

from __future__ import annotations

import numpy as np


def split_indices(n: int, valid_fraction: float, test_fraction: float, seed: int) -> dict[str, np.ndarray]:
    """Shuffle ``range(n)`` with ``seed`` and cut it into train/valid/test index arrays.

    The same (n, fractions, seed) always gives the same split, on any machine.
    """
    perm = np.random.default_rng(seed).permutation(n)
    n_test = int(round(n * test_fraction))
    n_valid = int(round(n * valid_fraction))
    return {
        "test": np.sort(perm[:n_test]),
        "valid": np.sort(perm[n_test : n_test + n_valid]),
        "train": np.sort(perm[n_test + n_valid :]),
    }
