"""What the benchmarks share: the data options and the binarized-MNIST set-up of the MLP VAE."""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]


def add_data_args(p, out_help: str) -> None:
    """--threads, --data-dir, --synthetic and --out, as every benchmark takes them."""
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's choice)")
    p.add_argument("--data-dir", default=None, help="folder holding binarized_mnist/ (default $VAELAB_DATA, ../shared/data)")
    p.add_argument("--synthetic", action="store_true", help="random binary data of MNIST's shape instead of files")
    p.add_argument("--out", default=None, help=f"JSON output (default {out_help})")


def prepare_process(args) -> None:
    """Before anything runs: ``--threads N`` (torch.set_num_threads; default torch's own choice), and glibc
    keeping freed blocks for reuse, as ``vaelab train`` and ``evaluate`` ask it to (:func:`vaelab.device.keep_freed_memory`)."""
    from vaelab.device import keep_freed_memory

    if args.threads:
        torch.set_num_threads(args.threads)
    keep_freed_memory()


def data_error(err: Exception) -> int:
    """Say that the data could not be loaded, and how to point at it; the exit code."""
    import sys

    print(f"error: {err}\n(pass --data-dir, set VAELAB_DATA, or use --synthetic)", file=sys.stderr)
    return 2


def mlp_vae_config(args, activation: str, train: dict):
    """The Kingma-Welling MLP VAE (784-200-200-50) on binarized MNIST, with ``train`` settings."""
    from vaelab.config import make_config

    data_dir = args.data_dir or os.environ.get("VAELAB_DATA") or str(REPO.parent / "shared" / "data")
    return make_config({
        "data": {"name": "binarized-mnist", "data_dir": data_dir, "download": False},
        "model": {"latent_dim": 50, "hidden": [200, 200], "activation": activation},
        "train": {"progress": False, **train},
    })


def binary_mnist_bundle(cfg, synthetic: bool, name: str = "synthetic-binary", n_test: int = 10000):
    """The binarized-MNIST bundle, or random binary pixels of its shape (``synthetic``, labelled as such)."""
    from vaelab.data import DataBundle, Split, load_data

    if not synthetic:
        return load_data(cfg.data)
    g = torch.Generator().manual_seed(0)
    split = lambda n: Split((torch.rand(n, 1, 28, 28, generator=g) < 0.13).to(torch.uint8))  # noqa: E731
    return DataBundle(name, "binary", (1, 28, 28), split(50000), split(10000), split(max(10000, n_test)))


def write_result(out: Path, result: dict, headline: tuple[str, ...]) -> None:
    """Save a benchmark's full result as JSON and print its headline figures."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({key: result[key] for key in headline}, indent=2))
    print(f"wrote {out}")
