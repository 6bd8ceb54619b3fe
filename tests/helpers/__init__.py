"""Helpers shared by the tests: tiny configs, a CLI runner, synthetic run directories and arrays.

Tests import these from here (never from a conftest file or from another test module);
fixtures that several folders share live in tests/conftest.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def tiny_config(**train):
    """A config that trains in well under a second on synthetic data."""
    return {
        "data": {"name": "synthetic", "options": {"n": 600, "dim": 32}},
        "model": {"latent_dim": 4, "hidden": [32, 32]},
        "train": {"epochs": 2, "batch_size": 50, "progress": False, **train},
    }


#: the 200 QM9 molecules the chemistry tests share
QM9_FIXTURE = Path(__file__).resolve().parents[1] / "chem" / "fixtures" / "qm9_200.csv"
#: a sequence model small enough to train in seconds on them
SMALL_SEQ = {"latent_dim": 4, "seq_embedding": 8, "seq_hidden": 16, "seq_dense": 16, "conv_channels": [4, 4, 8, 8],
             "decoder_hidden": [16], "seq_encoder": "gru", "seq_decoder": "gru"}


def token_config() -> dict:
    """A one-epoch SMILES VAE on :data:`QM9_FIXTURE`."""
    return {"data": {"name": "smiles", "options": {"path": str(QM9_FIXTURE)}}, "model": {"name": "vae", **SMALL_SEQ},
            "train": {"epochs": 1, "batch_size": 80, "progress": False}}


def vaelab(*args, cwd=None):
    """``python -m vaelab ARGS`` in a real process: (returncode, stdout, stderr) as a CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "vaelab", *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def snapshot(folder) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes): compare two to show that nothing changed."""
    folder = Path(folder)
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def one_error_line(stderr: str) -> str:
    """The one line a refused command prints on stderr (asserting there is exactly one, and no traceback)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def alive(pid: int) -> bool:
    """Whether the process ``pid`` still exists (signal 0 checks without sending anything)."""
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
