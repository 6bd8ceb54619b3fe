"""A finished (or interrupted) run, loaded from its directory, with what every later stage needs of it.

:class:`Run` is the one place that turns a run directory into model calls: encode a
split (or some of its rows) to posterior means, decode codes to likelihood means or to
SMILES, sample. Evaluation, figures, samplers and latent space optimisation all go
through these methods, so batching and side inputs (labels of conditional models) are
handled once.
"""

from __future__ import annotations

import copy
from functools import cached_property
from pathlib import Path

import numpy as np
import torch

from vaelab.config import load_config
from vaelab.data import DataBundle, load_data
from vaelab.data.base import Split
from vaelab.data.side import side_tensors
from vaelab.data.transforms import prepare_eval
from vaelab.device import resolve_device
from vaelab.diagnostics.catalogue import upgrade_diagnostics
from vaelab.errors import CheckpointError, damaged_file
from vaelab.fileio import read_json, read_jsonl
from vaelab.models import build_model, resolve_likelihood
from vaelab.nn.batching import batches
from vaelab.rundir import checkpoint as ckpt
from vaelab.rundir.layout import RunLayout, require_run

BATCH = 1000  # examples per encoder/decoder call in the batched methods


class Run:
    """A run directory with its model loaded: ``encode_means``, ``decode_means``, ``decode_smiles``, ``sample``."""

    def __init__(self, path: Path, config, model, meta: dict, checkpoint: str, device: torch.device):
        self.path, self.config, self.model, self.meta = Path(path), config, model, meta
        self.checkpoint, self.device = checkpoint, device
        self.layout = RunLayout(self.path)
        self._means: dict[tuple[str, int], torch.Tensor] = {}  # posterior means of whole splits, on the CPU

    def __repr__(self) -> str:
        return f"Run('{self.path}', model={self.config.model.name}, data={self.config.data.name}, checkpoint={self.checkpoint})"

    # -- files ---------------------------------------------------------------------------
    @property
    def summary(self) -> dict:
        """The stored summary.json ({} while training has not written one)."""
        return _json_object(self.layout.summary)

    def metrics(self) -> list[dict]:
        """The per-epoch records of metrics.jsonl."""
        return read_jsonl(self.layout.metrics)

    @property
    def diagnostics(self) -> dict:
        """The test split's stored diagnostics.json ({} before ``evaluate``), keys as the metric catalogue names them."""
        return self.diagnostics_of("test")

    def diagnostics_of(self, split: str) -> dict:
        """The stored diagnostics of ``split`` ({} before ``evaluate --split SPLIT``), keys as the catalogue's."""
        return upgrade_diagnostics(_json_object(self.layout.diagnostics_of(split)))

    # -- data ----------------------------------------------------------------------------
    @cached_property
    def data(self) -> DataBundle:
        return load_data(self.config.data)

    @property
    def kind(self) -> str:
        """The data kind (``binary``, ``unit``, ``real``, ``tokens``) from the checkpoint, else from the data."""
        kind = self.meta.get("kind")
        return str(kind) if kind else str(self.data.kind)

    def eval_data(self, split: str = "test") -> torch.Tensor:
        """The split as the model sees it at evaluation (binarised with the fixed seed if needed)."""
        x = self.data.split(split).x
        return prepare_eval(x, self.meta.get("binarize", "none"), self.config.train.seed).to(self.device)

    def eval_side(self, split: str = "test") -> dict[str, torch.Tensor]:
        """The per-example side inputs (e.g. labels) the model needs, for a split."""
        return side_tensors(self.model, self.data.split(split), self.device)

    def limited(self, split: str, limit: int) -> "Run":
        """The same run whose ``split`` holds ``limit`` of its examples (shares the model): :func:`subset_index`.

        Not the first ``limit``: a split may be stored sorted by label (binarized MNIST's test
        split is, so its first 2,000 digits are nearly all 0s and 1s). For molecules the split's
        SMILES are cut the same way, so the FCD compares with the same molecules.
        """
        view = copy.copy(self)
        bundle = copy.copy(self.data)
        s = bundle.split(split)
        idx = subset_index(len(s), limit)  # (limit,) or None for the whole split
        pick = (lambda t: t) if idx is None else (lambda t: None if t is None else t[idx])  # noqa: E731
        setattr(bundle, split, Split(pick(s.x), pick(s.y), pick(s.score)))
        smiles = bundle.info.get("smiles")
        if isinstance(smiles, dict) and split in smiles and idx is not None:  # molecules: the FCD's reference too
            bundle.info = {**bundle.info, "smiles": {**smiles, split: [smiles[split][i] for i in idx.tolist()]}}
        view.data, view._means = bundle, {}  # data: the cached_property's slot on the copy
        return view

    # -- the model -----------------------------------------------------------------------
    def _tensor(self, a) -> torch.Tensor:
        t = torch.as_tensor(np.asarray(a) if not isinstance(a, torch.Tensor) else a)
        return t.to(self.device, torch.float32)

    @torch.no_grad()
    def encode(self, x, **side):
        """The posterior q(z|x) for a batch (tensor or array of shape (B, *event_shape))."""
        self.model.eval()
        return self.model.encode(self._tensor(x), **side)

    @torch.no_grad()
    def decode(self, z, **side):
        """The likelihood p(x|z) for codes z of shape (..., latent_dim)."""
        self.model.eval()
        return self.model.decode(self._tensor(z), **side)

    @torch.no_grad()
    def encode_posterior(self, split: str = "test", rows=None,
                         batch_size: int = BATCH) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Means and log-variances of q(z|x) over a split (or its ``rows``): (n, d) float32 on the device each.

        The log-variances are None for a deterministic encoder. Conditional models get
        each example's side inputs.
        """
        self.model.eval()
        x, side = self.eval_data(split), self.eval_side(split)  # (N, *event), {name: (N, ...)}
        idx = None if rows is None else torch.as_tensor(np.asarray(rows), dtype=torch.long, device=x.device)
        means, logvars = [], []
        for q in batches(self.model.encode, x, side, batch_size, rows=idx):
            means.append(q.mean.float())  # (b, d)
            if hasattr(q, "logvar"):
                logvars.append(q.logvar.float())  # (b, d)
        if not means:
            return torch.zeros(0, self.model.latent_dim, device=self.device), None
        return torch.cat(means), (torch.cat(logvars) if logvars else None)

    def encode_means(self, split: str = "test", rows=None, batch_size: int = BATCH) -> torch.Tensor:
        """Posterior means E_q[z|x] of a split, or of its ``rows``: (n, d) float32 on the run's device.

        The means of a whole split are computed once and kept (the weights of a loaded
        run do not change), so the samplers fitted in one evaluation encode it once.
        """
        if rows is not None:
            return self.encode_posterior(split, rows, batch_size)[0]
        key = (split, len(self.data.split(split)))
        if key not in self._means:
            self._means[key] = self.encode_posterior(split, None, batch_size)[0].cpu()
        return self._means[key].to(self.device)

    @torch.no_grad()
    def decode_means(self, z: torch.Tensor, side: dict | None = None, batch_size: int = BATCH) -> torch.Tensor:
        """E[p(x|z)] for codes z (N, d), in batches: (N, *event) on the device (greedy ids for token decoders)."""
        self.model.eval()
        z = self._tensor(z)
        out = [p.mean for p in batches(self.model.decode, z, side, batch_size)]
        return torch.cat(out) if out else torch.zeros(0, *self.meta["event_shape"], device=self.device)

    def decode_texts(self, z: torch.Tensor, batch_size: int = BATCH) -> tuple[list[str], list]:
        """A token run's greedy decoding of codes z (N, d): (the vocabulary's texts, their SMILES).

        The SMILES are None where a SELFIES string cannot be translated back. Strings are
        made per batch, so a decoder may pad each batch to its own length.
        """
        from vaelab.chem.decode import ids_to_texts

        texts: list[str] = []
        smiles: list = []
        for s in range(0, z.shape[0], batch_size):
            t, m = ids_to_texts(self.decode_means(z[s : s + batch_size], batch_size=batch_size), self.data.info)
            texts, smiles = texts + t, smiles + m
        return texts, smiles

    def decode_smiles(self, z: torch.Tensor, batch_size: int = BATCH) -> list:
        """The SMILES a token run decodes codes z (N, d) to, greedily; None where a SELFIES cannot be read."""
        return self.decode_texts(z, batch_size)[1]

    @torch.no_grad()
    def sample(self, n: int, mean: bool = True, seed: int | None = None) -> torch.Tensor:
        self.model.eval()
        gen = torch.Generator(device=self.device).manual_seed(seed) if seed is not None else None
        return self.model.sample(n, mean=mean, generator=gen)


def _json_object(path: Path) -> dict:
    """The JSON object in ``path``, {} when there is no such file; DamagedFile naming a file that holds none."""
    if not path.is_file():
        return {}
    value = read_json(path)
    if not isinstance(value, dict):
        raise damaged_file(path, "not a JSON object")
    return value


#: how :meth:`Run.limited` picks its examples; recorded as ``subset`` in a limited evaluation's diagnostics
SUBSET_RULE = "seeded-random-v1"


def subset_index(n: int, limit: int) -> torch.Tensor | None:
    """``limit`` of ``n`` rows, the same for every run on a split: a permutation seeded 0, its first ``limit`` sorted.

    (limit,) int64, or None when ``limit >= n`` (the whole split, in its order).
    """
    if limit >= n:
        return None
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(0))  # (n,)
    return perm[:limit].sort().values  # (limit,)


def load_run(path, checkpoint: str = "best", device: str = "auto") -> Run:
    """Open a run directory and load the ``best`` (lowest validation loss) or ``last`` checkpoint."""
    if isinstance(path, Run):
        return path
    layout = require_run(path)
    if checkpoint not in ("best", "last"):
        raise CheckpointError(f"checkpoint must be 'best' or 'last', got '{checkpoint}'")
    config = load_config(layout.config, saved_run=True)
    folder, weights, meta = ckpt.read_checkpoint(layout.checkpoints, checkpoint)
    if "event_shape" not in meta:
        raise CheckpointError(f"checkpoint '{folder}' lacks its data contract metadata; retrain the run")
    if "likelihood" in meta and resolve_likelihood(config.model, meta["kind"]) != meta["likelihood"]:
        raise CheckpointError(f"config.yaml in '{layout.root}' asks for the "
                              f"{resolve_likelihood(config.model, meta['kind'])} likelihood but the checkpoint was "
                              f"trained with {meta['likelihood']}; was config.yaml edited after training?")
    dev = resolve_device(device)
    model = build_model(config.model, tuple(meta["event_shape"]), meta["kind"], meta.get("n_classes"),
                        meta.get("vocab_size"))
    try:
        model.load_state_dict(weights)
    except RuntimeError as err:
        raise CheckpointError(f"checkpoint '{folder}' does not match the model in config.yaml "
                              f"({str(err).splitlines()[0]}); was config.yaml edited after training?") from None
    model.to(dev).eval()
    return Run(layout.root, config, model, meta, folder.name, dev)
