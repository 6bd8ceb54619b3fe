"""What a feature net is trained on when no shipped net fits the run's data, and a fingerprint of it.

The run's own labels when it has them; else k-means clusters of its inputs
(:func:`vaelab.data.groups.group_labels`). The fingerprint (:func:`data_sha256`) is a
hash of the very tensors the net is trained and tested on, so any change of the data
(a file, a split, a limit, a label) names another cached net.
"""

from __future__ import annotations

import hashlib

import torch

from vaelab.data.groups import group_labels
from vaelab.pipeline.feature_net import FeatureSource


def feature_source(bundle, binary: bool, seed: int = 0) -> FeatureSource:
    """The run's training split with its labels, else with k-means cluster ids (fitted with ``seed``)."""
    if bundle.train.y is not None:
        _, name, _ = group_labels(bundle, "test")
        return FeatureSource(f"{bundle.name} training split, labels: {name}", bundle.train.x, bundle.train.y,
                             bundle.test.x, bundle.test.y, binary, "own")
    train_ids, name, _ = group_labels(bundle, "train", seed=seed)
    test_ids, _, _ = group_labels(bundle, "test", seed=seed)
    return FeatureSource(f"{bundle.name} training split, {name} (the data has no labels)", bundle.train.x,
                         torch.as_tensor(train_ids), bundle.test.x, torch.as_tensor(test_ids), binary, "kmeans")


def data_sha256(src: FeatureSource) -> str:
    """sha256 of the dtype, shape and bytes of ``src``'s four tensors (60,000 MNIST images: about 0.3 s)."""
    digest = hashlib.sha256()
    for t in (src.x_train, src.y_train, src.x_test, src.y_test):
        t = t.detach().cpu().contiguous()
        digest.update(f"{t.dtype} {tuple(t.shape)};".encode())
        digest.update(t.view(torch.uint8).numpy() if t.numel() else b"")  # the bytes, without a copy
    return digest.hexdigest()
