"""Fixed-seed train/valid/test splits."""

from __future__ import annotations

import numpy as np


def split_indices(n: int, valid_fraction: float, test_fraction: float, seed: int) -> dict[str, np.ndarray]:
    """Shuffle ``range(n)`` with ``seed`` and cut it into train/valid/test index arrays.

    The same (n, fractions, seed) always gives the same split, on any machine. A fraction
    above 0 holds at least one example out (test first) while there are examples left,
    so a tiny dataset still gets a validation split rather than an empty one.
    """
    perm = np.random.default_rng(seed).permutation(n)
    n_test = held_out(n, test_fraction, left=n)
    n_valid = held_out(n, valid_fraction, left=n - n_test)
    return {
        "test": np.sort(perm[:n_test]),
        "valid": np.sort(perm[n_test : n_test + n_valid]),
        "train": np.sort(perm[n_test + n_valid :]),
    }


def held_out(n: int, fraction: float, left: int) -> int:
    """round(n * fraction) examples, at least one for a fraction above 0, at most ``left``."""
    return 0 if fraction <= 0 else min(left, max(1, round(n * fraction)))
