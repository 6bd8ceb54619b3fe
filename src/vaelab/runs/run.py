"""A finished (or interrupted) run, loaded from its directory for analysis."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np
import torch

from vaelab.config import load_config
from vaelab.data import DataBundle, load_data
from vaelab.data.transforms import prepare_eval
from vaelab.device import resolve_device
from vaelab.errors import CheckpointError
from vaelab.models import build_model, resolve_likelihood
from vaelab.runs.io import read_json, read_jsonl
from vaelab.train import checkpoint as ckpt
from vaelab.train.trainer import side_tensors


class Run:
    """A run directory with its model loaded: ``encode``, ``decode``, ``sample``, ``evaluate``."""

    def __init__(self, path: Path, config, model, meta: dict, checkpoint: str, device: torch.device):
        self.path, self.config, self.model, self.meta = Path(path), config, model, meta
        self.checkpoint, self.device = checkpoint, device

    def __repr__(self) -> str:
        return f"Run('{self.path}', model={self.config.model.name}, data={self.config.data.name}, checkpoint={self.checkpoint})"

    # -- files ---------------------------------------------------------------------------
    @property
    def summary(self) -> dict:
        f = self.path / "summary.json"
        return read_json(f) if f.is_file() else {}

    def metrics(self) -> list[dict]:
        """The per-epoch records of metrics.jsonl."""
        return read_jsonl(self.path / "metrics.jsonl")

    @property
    def diagnostics(self) -> dict:
        f = self.path / "diagnostics.json"
        return read_json(f) if f.is_file() else {}

    # -- data ----------------------------------------------------------------------------
    @cached_property
    def data(self) -> DataBundle:
        return load_data(self.config.data)

    def eval_data(self, split: str = "test") -> torch.Tensor:
        """The split as the model sees it at evaluation (binarised with the fixed seed if needed)."""
        x = self.data.split(split).x
        return prepare_eval(x, self.meta.get("binarize", "none"), self.config.train.seed).to(self.device)

    def eval_side(self, split: str = "test") -> dict[str, torch.Tensor]:
        """The per-example side inputs (e.g. labels) the model needs, for a split."""
        return side_tensors(self.model, self.data.split(split), self.device)

    # -- the model -----------------------------------------------------------------------
    def _tensor(self, a) -> torch.Tensor:
        t = torch.as_tensor(np.asarray(a) if not isinstance(a, torch.Tensor) else a)
        return t.to(self.device, torch.float32)

    @torch.no_grad()
    def encode(self, x):
        """The posterior q(z|x) for a batch (tensor or array of shape (B, *event_shape))."""
        self.model.eval()
        return self.model.encode(self._tensor(x))

    @torch.no_grad()
    def decode(self, z):
        """The likelihood p(x|z) for codes z of shape (..., latent_dim)."""
        self.model.eval()
        return self.model.decode(self._tensor(z))

    @torch.no_grad()
    def sample(self, n: int, mean: bool = True, seed: int | None = None) -> torch.Tensor:
        self.model.eval()
        gen = torch.Generator(device=self.device).manual_seed(seed) if seed is not None else None
        return self.model.sample(n, mean=mean, generator=gen)

    def evaluate(self, split: str = "test", iw_samples: int | None = None, **kwargs) -> dict:
        """Compute diagnostics on a split and write ``diagnostics.json``; see :func:`vaelab.diagnostics.evaluate_run`."""
        from vaelab.diagnostics.evaluate import evaluate_run

        return evaluate_run(self, split=split, iw_samples=iw_samples, **kwargs)


def load_run(path, checkpoint: str = "best", device: str = "auto") -> Run:
    """Open a run directory and load the ``best`` (lowest validation loss) or ``last`` checkpoint."""
    path = Path(path)
    if not (path / "config.yaml").is_file():
        raise CheckpointError(f"'{path}' is not a run directory (it has no config.yaml); "
                              "pass the folder that `vaelab train` wrote")
    if checkpoint not in ("best", "last"):
        raise CheckpointError(f"checkpoint must be 'best' or 'last', got '{checkpoint}'")
    config = load_config(path / "config.yaml", saved_run=True)
    folder = ckpt.checkpoint_dir(path / "checkpoints", checkpoint)
    weights, meta = ckpt.load_weights(folder)
    if "event_shape" not in meta:
        raise CheckpointError(f"checkpoint '{folder}' lacks its data contract metadata; retrain the run")
    if "likelihood" in meta and resolve_likelihood(config.model, meta["kind"]) != meta["likelihood"]:
        raise CheckpointError(f"config.yaml in '{path}' asks for the {resolve_likelihood(config.model, meta['kind'])} "
                              f"likelihood but the checkpoint was trained with {meta['likelihood']}; "
                              "was config.yaml edited after training?")
    dev = resolve_device(device)
    model = build_model(config.model, tuple(meta["event_shape"]), meta["kind"], meta.get("n_classes"),
                        meta.get("vocab_size"))
    try:
        model.load_state_dict(weights)
    except RuntimeError as err:
        raise CheckpointError(f"checkpoint '{folder}' does not match the model in config.yaml "
                              f"({str(err).splitlines()[0]}); was config.yaml edited after training?") from None
    model.to(dev).eval()
    return Run(path, config, model, meta, folder.name, dev)
