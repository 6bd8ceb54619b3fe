"""How examples are grouped for label-based diagnostics and figures: labels, else k-means clusters."""

from __future__ import annotations

import numpy as np

from vaelab.data.registry import cluster_labels

KMEANS_GROUPS = 10


def group_labels(bundle, split: str = "test", k: int = KMEANS_GROUPS, seed: int = 0):
    """``(ids (N,) int64, name, names)`` grouping the examples of ``split``.

    With labels: the labels, named after the dataset's label kind (``digit label``,
    ``class``, ``k-means cluster`` for ``data.pseudo_labels``). Without (e.g. the
    binarized MNIST files): the nearest of ``k`` k-means centroids fitted on the
    training inputs, named ``k-means cluster of x``, so label-based figures and
    metrics still have groups and say what they are. ``names`` lists a name per id
    (or is None).
    """
    s = bundle.split(split)
    if s.y is not None:
        classes = bundle.info.get("classes")
        name = bundle.info.get("labels") or ("digit label" if classes == list(range(10)) else "class")
        names = [str(c) for c in classes] if classes is not None else None
        return s.y.cpu().numpy().astype(np.int64), name, names
    k = max(1, min(k, len(bundle.train)))
    y = cluster_labels({"train": bundle.train, split: s}, k, seed)[split].y
    return y.cpu().numpy().astype(np.int64), f"k-means cluster of x (k={k})", None
