"""Feature nets trained on the user's data: ``$VAELAB_CACHE/feature-nets/<key>/``, trained once per key.

The key hashes everything the net depends on: the recipe version, the torch version
and the bytes of the data it is trained and tested on (:func:`cache_key`), so a change
of any of them trains a new net instead of reusing a stale one. Data that a shipped
net covers never comes here (:mod:`vaelab.pipeline.shipped_nets`).
"""

from __future__ import annotations

import hashlib
import json

import torch

from vaelab.data.download import file_digest
from vaelab.data.registry import default_cache_dir
from vaelab.pipeline.feature_net import (
    RECIPE_VERSION,
    FeatureNet,
    FeatureSource,
    blank_net,
    n_classes_of,
    net_record,
    train_feature_net,
)
from vaelab.pipeline.feature_source import data_sha256
from vaelab.rundir.fits import FitFolder

WEIGHTS = "model.safetensors"


def key_parts(src: FeatureSource) -> dict:
    """What identifies a trained net: recipe, torch version, binarised batches, label kind, data bytes."""
    return {"recipe_version": RECIPE_VERSION, "torch_version": torch.__version__, "binary": src.binary,
            "labels": src.labels, "data_sha256": data_sha256(src)}


def cache_key(parts: dict) -> str:
    """16 hex digits of the sha256 of :func:`key_parts`: the cache folder's name."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def load_or_train(src: FeatureSource, device: torch.device) -> tuple[FeatureNet, dict]:
    """The cached net for ``src``, trained and published on first use; its record, with the weights' sha256.

    The folder is published whole (a folder of a unique name renamed into place,
    :meth:`~vaelab.rundir.fits.FitFolder.publish`), so two processes filling the cache
    at once both succeed and one net is kept.
    """
    net = blank_net(src.n_in, n_classes_of(src))
    parts = key_parts(src)
    key = cache_key(parts)
    folder = default_cache_dir() / "feature-nets" / key
    store = FitFolder(folder, "info.json", "the FD feature net", f"delete {folder} to train it again")
    if store.read_record(needs=None) is None:
        _train_and_publish(src, store, {"cache_key": key, **parts})
    info = store.read_record(needs=None)  # ours, or the same net another process published first
    net.load_state_dict(store.load_arrays(WEIGHTS))
    sha = file_digest(folder / WEIGHTS, "sha256")
    return net.to(device).eval(), {**info, "origin": "trained locally (cache)", "sha256": sha}


def _train_and_publish(src: FeatureSource, store: FitFolder, key: dict) -> None:
    """Train the net for ``src`` and publish it in the cache whole (two processes may fill it at once)."""
    trained, acc = train_feature_net(src)
    n_classes = trained.head.out_features
    info = {"net": f"cache {key['cache_key']}", **net_record(src, acc, n_classes), **key}
    store.publish({WEIGHTS: trained.state_dict()}, info)
