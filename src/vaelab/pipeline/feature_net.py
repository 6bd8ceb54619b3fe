"""The feature space of "FD (feature net)": a small classifier, trained once per dataset and cached.

This is *not* Inception FID: the features come from the penultimate layer of a small
MLP classifier trained by vaelab on labelled data that matches the run's data, and
distances are comparable only between runs scored with the same feature net (same
cache key, recorded in ``diagnostics.json``).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass

import torch
from torch import nn

from vaelab.config.schema import DataConfig
from vaelab.data import load_data
from vaelab.data.groups import group_labels
from vaelab.data.registry import default_cache_dir
from vaelab.data.transforms import dynamic_binarize
from vaelab.rundir.fits import FitFolder

WEIGHTS = "model.safetensors"
VERSION = 1  # bump when the architecture or training recipe changes: invalidates the cache
HIDDEN, FEATURES = 256, 64
TRAIN_EPOCHS, MAX_STEPS, MIN_STEPS, BATCH, LR = 30, 3000, 300, 128, 1e-3


class FeatureNet(nn.Module):
    """x -> standardise -> 256 -> ReLU -> 64 -> ReLU (the features) -> n_classes logits."""

    def __init__(self, n_in: int, n_classes: int):
        super().__init__()
        self.register_buffer("shift", torch.zeros(n_in))
        self.register_buffer("scale", torch.ones(()))
        self.body = nn.Sequential(nn.Linear(n_in, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, FEATURES), nn.ReLU())
        self.head = nn.Linear(FEATURES, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, *event) -> (B, 64) penultimate activations."""
        return self.body((x.reshape(x.shape[0], -1).float() - self.shift) / self.scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))  # (B, n_classes)


@dataclass
class FeatureSource:
    """Labelled data to train the feature net on, and how to describe it."""

    description: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    key: dict  # what identifies the trained net in the cache


def feature_source(bundle, data_cfg: dict, binary: bool, seed: int = 0) -> FeatureSource:
    """Labels of the run's own data; else labelled MNIST digits for MNIST-like data; else k-means clusters.

    ``binary``: the run's evaluation data is binary, so the net is trained on a mix of
    grey-level and dynamically binarised inputs (it then scores binary test images and
    grey decoder means in one feature space).
    """
    n_in = math.prod(bundle.event_shape)
    base = {"version": VERSION, "binary": binary, "n_in": n_in}
    if bundle.train.y is not None:
        _, name, _ = group_labels(bundle, "test")
        return FeatureSource(f"{bundle.name} training split, labels: {name}", bundle.train.x, bundle.train.y,
                             bundle.test.x, bundle.test.y, {**base, "data": data_cfg, "labels": "own"})
    if n_in == 784 and bundle.kind in ("binary", "unit"):
        digits = load_data(DataConfig(name="mnist5k"))
        how = ", binarised like the target data" if binary else ""
        return FeatureSource(f"mnist5k labelled MNIST digits (the target data has no labels){how}",
                             digits.train.x, digits.train.y, digits.test.x, digits.test.y,
                             {**base, "data": {"name": "mnist5k"}, "labels": "digits"})
    train_ids, name, _ = group_labels(bundle, "train", seed=seed)
    test_ids, _, _ = group_labels(bundle, "test", seed=seed)
    return FeatureSource(f"{bundle.name} training split, {name} (the data has no labels)", bundle.train.x,
                         torch.as_tensor(train_ids), bundle.test.x, torch.as_tensor(test_ids),
                         {**base, "data": data_cfg, "labels": "kmeans"})


def _batches(x: torch.Tensor, binary: bool, gen: torch.Generator) -> torch.Tensor:
    """Half the rows binarised afresh when the target data is binary; the rest kept grey."""
    x = x.float()
    if binary and x.min() >= 0 and x.max() <= 1:
        half = x.shape[0] // 2
        x = torch.cat((dynamic_binarize(x[:half], gen), x[half:]))
    return x


@torch.enable_grad()
def train_feature_net(src: FeatureSource, device: torch.device, seed: int = 0) -> tuple[FeatureNet, float]:
    """Adam on batches of 128 for 30 epochs (300 to 3,000 steps); returns the net (eval mode) and its test accuracy."""
    torch.manual_seed(seed)
    gen = torch.Generator(device=device).manual_seed(seed)
    x = src.x_train.to(device).float().reshape(len(src.x_train), -1)  # (N, D)
    y = src.y_train.to(device).long()  # (N,)
    net = FeatureNet(x.shape[1], n_classes_of(src)).to(device)
    net.shift.copy_(x.mean(0))
    net.scale.fill_(float(x.std().clamp_min(1e-6)))
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    steps = min(MAX_STEPS, max(MIN_STEPS, TRAIN_EPOCHS * x.shape[0] // BATCH))
    for _ in range(steps):
        idx = torch.randint(0, x.shape[0], (min(BATCH, x.shape[0]),), device=device, generator=gen)
        loss = nn.functional.cross_entropy(net(_batches(x[idx], src.key["binary"], gen)), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        xt = _batches(src.x_test.to(device).float(), src.key["binary"], gen)
        acc = float((net(xt).argmax(1) == src.y_test.to(device)).float().mean())
    return net, acc


def cache_key(src: FeatureSource) -> str:
    return hashlib.sha256(json.dumps(src.key, sort_keys=True, default=str).encode()).hexdigest()[:16]


def n_classes_of(src: FeatureSource) -> int:
    """Classes of the feature net's head: the largest label of either split, plus one."""
    return int(max(int(src.y_train.max()), int(src.y_test.max()))) + 1


def load_or_train(src: FeatureSource, device: torch.device) -> tuple[FeatureNet, dict]:
    """The cached net for ``src`` (``$VAELAB_CACHE/feature-nets/<key>``), trained and saved on first use.

    The folder is named by a hash of everything the net depends on (:func:`cache_key`),
    so a changed source trains a new net. It is published whole (a folder of a unique
    name renamed into place, :meth:`~vaelab.rundir.fits.FitFolder.publish`), so two
    processes filling the cache at once both succeed and one net is kept. The
    net is built first, like any module (its initial weights are drawn from the global
    RNG), then loaded or trained without touching the global RNG again: the draws that
    follow (the IW NLL) are the same whether the net was cached or not.
    """
    net = FeatureNet(src.key["n_in"], n_classes_of(src))
    with torch.random.fork_rng(devices=[]):
        return _load_or_train(src, device, net)


def _load_or_train(src: FeatureSource, device: torch.device, net: FeatureNet) -> tuple[FeatureNet, dict]:
    folder = default_cache_dir() / "feature-nets" / cache_key(src)
    store = FitFolder(folder, "info.json", "the FD feature net", f"delete {folder} to train it again")
    if store.read_record(needs=None) is None:
        _train_and_publish(src, device, store)
    info = store.read_record(needs=None)  # ours, or the same net another process published first
    net.load_state_dict(store.load_arrays(WEIGHTS))
    return net.to(device).eval(), info


def _train_and_publish(src: FeatureSource, device: torch.device, store: FitFolder) -> None:
    """Train the net for ``src`` and publish it in the cache whole (two processes may fill it at once)."""
    trained, acc = train_feature_net(src, device)
    n_classes = trained.head.out_features
    info = {"name": "FD (feature net)", "trained_on": src.description,
            "architecture": f"MLP {src.key['n_in']}-{HIDDEN}-{FEATURES}-{n_classes}, ReLU; "
                            f"features = the {FEATURES}-d penultimate layer",
            "test_accuracy": acc, "n_train": int(len(src.x_train)), "n_in": src.key["n_in"],
            "n_classes": n_classes, "cache_key": cache_key(src),
            "note": "not Inception FID: compare only between runs scored with the same feature net"}
    store.publish({WEIGHTS: trained.state_dict()}, info)


@torch.no_grad()
def features(net: FeatureNet, x: torch.Tensor, batch_size: int = 2000) -> torch.Tensor:
    """Penultimate features of ``x`` (N, *event) in batches: (N, 64) on the host."""
    dev = net.shift.device
    return torch.cat([net.features(x[s : s + batch_size].to(dev)).cpu() for s in range(0, x.shape[0], batch_size)])
