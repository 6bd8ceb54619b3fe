"""The dataset registry: name -> loader, plus the shared path from raw arrays to a DataBundle."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
import torch

from vaelab.data.base import DataBundle, DataKind, Split, as_labels, as_tensor, validate_values
from vaelab.data.checks import check_pseudo_labels, check_raw, check_splits, split_sizes
from vaelab.data.splits import split_indices
from vaelab.errors import DataError, did_you_mean, unknown_name


def default_cache_dir() -> Path:
    """$VAELAB_CACHE, else ~/.cache/vaelab."""
    return Path(os.environ.get("VAELAB_CACHE") or Path.home() / ".cache" / "vaelab")


@dataclass
class LoadContext:
    """Where a loader may look for files, and the dataset-specific options it was given.

    The split settings and the training limit are there for loaders that must split
    themselves (the molecule datasets build their vocabulary from the training split only);
    the others return ``train`` and leave splitting to :func:`load_data`.
    """

    data_dir: Optional[Path]
    cache_dir: Path
    download: bool = True
    options: dict[str, Any] = field(default_factory=dict)
    #: check the checksum of built-in datasets' files found on disk (data.verify)
    verify: bool = True
    valid_fraction: float = 0.1
    test_fraction: float = 0.1
    split_seed: int = 0
    limit: Optional[int] = None
    progress: bool = True  # loaders that read for long show a bar (a line in a log); False: silent


    def search_dirs(self, sub: str) -> list[Path]:
        """Folders a dataset's files are looked for in: <data dir>/<sub>, then <cache>/<sub>."""
        dirs = [self.data_dir / sub] if self.data_dir is not None else []
        return dirs + [self.cache_dir / sub]


@dataclass
class RawDataset:
    """What a loader returns: arrays per available split (``train`` at least): (x, labels or None[, scores])."""

    kind: DataKind
    event_shape: tuple[int, ...]
    splits: dict[str, tuple[Any, Any]]
    info: dict = field(default_factory=dict)


@dataclass
class DatasetSpec:
    name: str
    description: str
    loader: Callable[[LoadContext], RawDataset]
    status: Callable[[LoadContext], str]
    options: dict[str, Any] = field(default_factory=dict)


DATASETS: dict[str, DatasetSpec] = {}


def register_dataset(name: str, description: str, status: Callable[[LoadContext], str] | str,
                     options: dict[str, Any] | None = None):
    """Decorator: register ``loader(ctx) -> RawDataset`` under ``name``."""

    def wrap(loader):
        st = status if callable(status) else (lambda ctx, s=status: s)
        DATASETS[name] = DatasetSpec(name, description, loader, st, dict(options or {}))
        return loader

    return wrap


def get_spec(name: str) -> DatasetSpec:
    _ensure_builtin()
    if name not in DATASETS:
        raise DataError(unknown_name("dataset", name, DATASETS, see="vaelab datasets"))
    return DATASETS[name]


def make_context(data_dir=None, download: bool = True, options: dict | None = None,
                 verify: bool = True) -> LoadContext:
    env = os.environ.get("VAELAB_DATA")
    d = data_dir or env
    return LoadContext(Path(d).expanduser() if d else None, default_cache_dir(), download, dict(options or {}),
                       verify=verify)


def _check_options(spec: DatasetSpec, options: dict) -> dict:
    unknown = sorted(set(options) - set(spec.options))
    if unknown:
        valid = ", ".join(sorted(spec.options)) or "none"
        raise DataError(f"unknown option(s) {', '.join(unknown)} for dataset '{spec.name}'."
                        f"{did_you_mean(unknown[0], spec.options)} Valid options: {valid}")
    return {**spec.options, **options}


def _assemble(raw: RawDataset, valid_fraction: float, test_fraction: float, seed: int) -> dict[str, tuple]:
    """Fill in missing splits from ``train`` with a fixed-seed split."""
    splits = dict(raw.splits)
    if "test" in splits and "valid" in splits:
        return splits
    arrays = splits.pop("train")  # (x, y[, score]), each indexed by example
    vf = valid_fraction if "valid" not in splits else 0.0
    tf = test_fraction if "test" not in splits else 0.0
    idx = split_indices(len(arrays[0]), vf, tf, seed)
    pick = lambda i: tuple(None if a is None else np.asarray(a)[i] for a in arrays)  # noqa: E731
    out = {"train": pick(idx["train"])}
    for part in ("valid", "test"):
        out[part] = splits[part] if part in splits else pick(idx[part])
    return out


def load_data(cfg, progress: bool = True) -> DataBundle:
    """Load the dataset a :class:`~vaelab.config.DataConfig` names, as a DataBundle on the CPU.

    Every dataset passes :func:`vaelab.data.checks.check_raw` and :func:`~vaelab.data.checks.check_splits`;
    ``progress=False`` silences the bars of long reads (``--no-progress``).
    """
    spec = get_spec(cfg.name)
    options = _check_options(spec, cfg.options)
    ctx = make_context(cfg.data_dir, cfg.download, options, cfg.verify)
    ctx.valid_fraction, ctx.test_fraction, ctx.split_seed, ctx.limit, ctx.progress = (
        cfg.valid_fraction, cfg.test_fraction, cfg.split_seed, cfg.limit, progress)
    raw = spec.loader(ctx)
    check_raw(raw, cfg.name)
    parts = _assemble(raw, cfg.valid_fraction, cfg.test_fraction, cfg.split_seed)
    splits = {}
    for part, (x, y, *rest) in parts.items():
        t = as_tensor(x, raw.kind, cfg.name).reshape(-1, *raw.event_shape)
        validate_values(t, raw.kind, cfg.name)
        score = rest[0] if rest and rest[0] is not None else None
        splits[part] = Split(t, as_labels(y), None if score is None else torch.as_tensor(np.asarray(score, np.float32)))
    if cfg.limit is not None:
        splits["train"] = splits["train"].take(cfg.limit)
    check_splits(cfg.name, split_sizes(splits), cfg)
    info = dict(raw.info)
    if cfg.pseudo_labels:
        check_pseudo_labels(cfg.pseudo_labels, len(splits["train"]))
        splits, info = cluster_labels(splits, cfg.pseudo_labels, cfg.split_seed), {**info, "classes": [
            f"cluster {i}" for i in range(cfg.pseudo_labels)], "labels": "k-means clusters"}
    return DataBundle(cfg.name, raw.kind, tuple(raw.event_shape), splits["train"], splits["valid"],
                      splits["test"], info)


def cluster_labels(splits: dict[str, Split], k: int, seed: int) -> dict[str, Split]:
    """Labels = the nearest of k k-means centroids fitted on the training split (MiniBatchKMeans)."""
    from sklearn.cluster import MiniBatchKMeans

    flat = lambda s: s.x.reshape(len(s), -1).float().numpy()  # noqa: E731
    km = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=2048).fit(flat(splits["train"]))
    return {name: Split(s.x, torch.as_tensor(km.predict(flat(s)), dtype=torch.long), s.score)
            for name, s in splits.items()}


def dataset_table(data_dir=None) -> list[dict[str, str]]:
    """One row per dataset: name, description, and where its data is (for `vaelab datasets`)."""
    _ensure_builtin()
    ctx = make_context(data_dir)
    return [{"name": s.name, "status": s.status(ctx), "description": s.description}
            for s in sorted(DATASETS.values(), key=lambda s: s.name)]


def _ensure_builtin() -> None:
    # Importing the modules registers their datasets.
    import importlib

    for module in _BUILTIN_MODULES:
        importlib.import_module(module)


_BUILTIN_MODULES = ["vaelab.data.embedded", "vaelab.data.synthetic", "vaelab.data.mnist", "vaelab.data.files",
                    "vaelab.data.molecules"]
