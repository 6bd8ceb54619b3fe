"""Helpers shared by the tests: tiny configs, a CLI runner, synthetic run directories and arrays.

Tests import these from here (never from a conftest file or from another test module);
fixtures that several folders share live in tests/conftest.py.
"""

from __future__ import annotations

import subprocess
import sys


def tiny_config(**train):
    """A config that trains in well under a second on synthetic data."""
    return {
        "data": {"name": "synthetic", "options": {"n": 600, "dim": 32}},
        "model": {"latent_dim": 4, "hidden": [32, 32]},
        "train": {"epochs": 2, "batch_size": 50, "progress": False, **train},
    }


def vaelab(*args, cwd=None):
    """``python -m vaelab ARGS`` in a real process: (returncode, stdout, stderr) as a CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "vaelab", *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=300)
