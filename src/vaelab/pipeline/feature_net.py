"""The feature space of "FD (feature net)": a small MLP classifier and its training recipe.

This is *not* Inception FID (Heusel et al. 2017): the features come from the
penultimate layer of a small MLP classifier trained by vaelab on labelled data that
matches the run's data. As with FID, distances are comparable only between runs scored
with the same net: ``diagnostics.json`` records the weights' sha256 (``fd.feature_net``).
The nets for MNIST-like data and scikit-learn's digits ship inside the package
(:mod:`vaelab.pipeline.shipped_nets`); other data gets a net trained on first use and
cached (:mod:`vaelab.pipeline.feature_cache`).

Recipe version 2 is version 1's recipe (architecture, steps, batch, learning rate)
trained on the CPU with one thread and deterministic algorithms, so a machine
retrains the same bits whatever its thread count.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass

import torch
from torch import nn

from vaelab.data.transforms import dynamic_binarize
from vaelab.device import one_cpu_thread

RECIPE_VERSION = 2  # bump when the architecture or training recipe changes: new shipped files, new cache keys
HIDDEN, FEATURES = 256, 64
TRAIN_EPOCHS, MAX_STEPS, MIN_STEPS, BATCH, LR, SEED = 30, 3000, 300, 128, 1e-3, 0
NOTE = "not Inception FID: compare only FD values scored with the same feature net (sha256), split and data"


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
    """Labelled data to train a feature net on, and how to describe it.

    ``binary``: the scored data is binary, so half of each batch is binarised afresh;
    ``labels``: where the labels come from (``own``, ``digits``, ``kmeans``).
    """

    description: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    binary: bool
    labels: str

    @property
    def n_in(self) -> int:
        return int(self.x_train[0].numel())


def n_classes_of(src: FeatureSource) -> int:
    """Classes of the feature net's head: the largest label of either split, plus one."""
    return int(max(int(src.y_train.max()), int(src.y_test.max()))) + 1


def chance_accuracy(y: torch.Tensor) -> float:
    """The accuracy of always guessing the most common label of ``y`` (N,): the floor a classifier must beat."""
    return float(torch.bincount(y.long().flatten()).max()) / max(int(y.numel()), 1)


def blank_net(n_in: int, n_classes: int) -> FeatureNet:
    """A net to load weights into, built like any module from the global RNG.

    Whether its weights are then shipped, cached or trained, the global RNG has moved
    by the same draws, so what follows the FD (the IW NLL) draws the same numbers.
    """
    return FeatureNet(n_in, n_classes)


def _batches(x: torch.Tensor, binary: bool, gen: torch.Generator) -> torch.Tensor:
    """Half the rows binarised afresh when the target data is binary; the rest kept grey."""
    x = x.float()
    if binary and x.min() >= 0 and x.max() <= 1:
        half = x.shape[0] // 2
        x = torch.cat((dynamic_binarize(x[:half], gen), x[half:]))
    return x


def train_feature_net(src: FeatureSource, seed: int = SEED) -> tuple[FeatureNet, float]:
    """Adam on batches of 128 for 30 epochs (300 to 3,000 steps) on the CPU, one thread, deterministic.

    Leaves the global RNG and thread settings as it found them. Returns the net (eval
    mode, on the CPU) and its accuracy on ``src``'s test split (binarised like training).
    """
    with torch.random.fork_rng(devices=[]), one_cpu_thread(), torch.enable_grad():
        return _train(src, seed)


def _train(src: FeatureSource, seed: int) -> tuple[FeatureNet, float]:
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    x = src.x_train.float().reshape(len(src.x_train), -1)  # (N, D)
    y = src.y_train.long()  # (N,)
    net = FeatureNet(x.shape[1], n_classes_of(src))
    net.shift.copy_(x.mean(0))
    net.scale.fill_(float(x.std().clamp_min(1e-6)))
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    steps = min(MAX_STEPS, max(MIN_STEPS, TRAIN_EPOCHS * x.shape[0] // BATCH))
    for _ in range(steps):
        idx = torch.randint(0, x.shape[0], (min(BATCH, x.shape[0]),), generator=gen)  # (B,)
        loss = nn.functional.cross_entropy(net(_batches(x[idx], src.binary, gen)), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        xt = _batches(src.x_test.float(), src.binary, gen)  # (N_test, *event)
        acc = float((net(xt).argmax(1) == src.y_test.long()).float().mean())
    return net, acc


def net_record(src: FeatureSource, acc: float, n_classes: int) -> dict:
    """What a trained net's record says about it (shipped JSON and cache ``info.json`` alike)."""
    return {"name": "FD (feature net)", "recipe_version": RECIPE_VERSION, "trained_on": src.description,
            "architecture": f"MLP {src.n_in}-{HIDDEN}-{FEATURES}-{n_classes}, ReLU; "
                            f"features = the {FEATURES}-d penultimate layer",
            "test_accuracy": acc, "chance_accuracy": chance_accuracy(src.y_test),
            "n_train": int(len(src.x_train)), "n_test": int(len(src.x_test)), "n_in": src.n_in,
            "n_classes": n_classes, "binary": src.binary, "note": NOTE}


@torch.no_grad()
def features(net: FeatureNet, x: torch.Tensor, batch_size: int = 2000) -> torch.Tensor:
    """Penultimate features of ``x`` (N, *event) in batches: (N, 64) on the host.

    On the CPU they are computed with one thread, so they are the same bits whatever
    the caller's thread count (10,000 MNIST images take about 0.15 s).
    """
    dev = net.shift.device
    with one_cpu_thread() if dev.type == "cpu" else nullcontext():
        return torch.cat([net.features(x[s : s + batch_size].to(dev)).cpu() for s in range(0, x.shape[0], batch_size)])
