"""The feature nets shipped inside vaelab, as FID ships its Inception weights (Heusel et al. 2017).

``feature_nets/<name>-v<recipe>.safetensors`` holds the weights and ``<name>-v<recipe>.json``
their record: the recipe version, the sha256 of the weights file, the test accuracy and
what the net was trained on. They are trained by ``python docs/experiments/train_feature_nets.py``
(:func:`train_shipped`: fixed seed, one CPU thread, deterministic algorithms) and never
again by ``vaelab evaluate``, so the FD of runs on these datasets is comparable across
machines, thread counts and caches.

Which runs use which net (:func:`shipped_for`):

* ``mnist5k``, ``mnist`` and ``binarized-mnist`` (784 pixels), and unlabelled 784-pixel
  data in [0, 1]: the ``mnist5k`` nets, trained on mnist5k's 4,000 labelled training digits;
* ``digits`` (scikit-learn's 8x8 digits): the ``digits`` nets.

Each comes as ``-binary`` (half of each training batch binarised afresh, for runs whose
evaluation data is binary: binarised or binary data) and ``-grey`` (grey levels only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch

from vaelab.config.schema import DataConfig
from vaelab.data import load_data
from vaelab.data.download import file_digest
from vaelab.device import describe_device
from vaelab.errors import CheckpointError, damaged_file
from vaelab.fileio import load_safetensors, read_json, save_safetensors, write_json
from vaelab.pipeline.feature_net import (
    RECIPE_VERSION,
    FeatureNet,
    FeatureSource,
    blank_net,
    net_record,
    train_feature_net,
)
from vaelab.rundir.fits import fit_time_fields

FOLDER = Path(__file__).resolve().with_name("feature_nets")
SCRIPT = "python docs/experiments/train_feature_nets.py"
MNIST_DIGITS = ("mnist5k", "mnist", "binarized-mnist")  # 28x28 MNIST digits, scored in mnist5k's feature space


@dataclass(frozen=True)
class Shipped:
    """A shipped net: trained on ``dataset``'s default training split, with binarised batches when ``binary``."""

    dataset: str
    binary: bool
    serves: str


_MNIST = "runs on mnist5k, mnist or binarized-mnist, and unlabelled 784-pixel data in [0, 1]"
SHIPPED = {
    "mnist5k-binary": Shipped("mnist5k", True, f"{_MNIST}, whose evaluation data is binary"),
    "mnist5k-grey": Shipped("mnist5k", False, f"{_MNIST}, whose evaluation data is grey"),
    "digits-binary": Shipped("digits", True, "runs on digits whose evaluation data is binary"),
    "digits-grey": Shipped("digits", False, "runs on digits whose evaluation data is grey"),
}


def shipped_for(bundle, binary: bool) -> str | None:
    """The shipped net that scores ``bundle``'s images (see the module's list); None when none fits."""
    n_in = math.prod(bundle.event_shape)
    unlabelled_unit = bundle.train.y is None and bundle.kind in ("binary", "unit")
    if n_in == 784 and (bundle.name in MNIST_DIGITS or unlabelled_unit):
        family = "mnist5k"
    elif n_in == 64 and bundle.name == "digits":
        family = "digits"
    else:
        return None
    return f"{family}-{'binary' if binary else 'grey'}"


def shipped_files(name: str, folder: Path | None = None) -> tuple[Path, Path]:
    """``(weights, record)`` of the shipped net ``name`` at the current recipe version (in :data:`FOLDER`)."""
    stem = Path(folder or FOLDER) / f"{name}-v{RECIPE_VERSION}"
    return stem.with_name(stem.name + ".safetensors"), stem.with_name(stem.name + ".json")


def shipped_source(name: str) -> FeatureSource:
    """The labelled data the shipped net ``name`` is trained on: its dataset's default split."""
    spec = SHIPPED[name]
    bundle = load_data(DataConfig(name=spec.dataset), progress=False)
    how = "; half of each batch dynamically binarised" if spec.binary else ""
    what = (f"{spec.dataset} training split ({len(bundle.train)} labelled digits; the data defaults: split_seed 0, "
            f"valid and test 10 %){how}")
    return FeatureSource(what, bundle.train.x, bundle.train.y, bundle.test.x, bundle.test.y, spec.binary, "digits")


def load_shipped(name: str, device: torch.device) -> tuple[FeatureNet, dict]:
    """The shipped net ``name`` and its record; a missing file or a sha256 that differs from the record's is refused."""
    weights, record_path = shipped_files(name)
    fix = f"reinstall vaelab, or retrain the shipped nets with {SCRIPT}"
    if not weights.is_file() or not record_path.is_file():
        raise CheckpointError(f"the shipped FD feature net {weights.name} (or its .json) is missing from "
                              f"{weights.parent}; {fix}")
    record = read_json(record_path)
    sha = file_digest(weights, "sha256")
    if sha != record.get("sha256"):
        raise damaged_file(weights, f"sha256 {sha[:12]}... is not the {str(record.get('sha256'))[:12]}... of "
                                    f"{record_path.name}", fix)
    net = blank_net(record["n_in"], record["n_classes"])
    net.load_state_dict(load_safetensors(weights))
    return net.to(device).eval(), {**record, "origin": "shipped with vaelab"}


def train_shipped(name: str, folder: Path | None = None) -> dict:
    """Train the shipped net ``name`` (deterministic: seed 0, one CPU thread) into ``folder``; its record."""
    src = shipped_source(name)
    net, acc = train_feature_net(src)
    weights, record_path = shipped_files(name, folder)
    weights.parent.mkdir(parents=True, exist_ok=True)
    save_safetensors(weights, net.state_dict())
    record = {"net": name, **net_record(src, acc, net.head.out_features), "serves": SHIPPED[name].serves,
              "sha256": file_digest(weights, "sha256"), "torch_version": torch.__version__,
              "trained_with": "CPU, 1 thread, torch.use_deterministic_algorithms(True), seed 0",
              "machine": describe_device(torch.device("cpu")), "command": SCRIPT, **fit_time_fields()}
    write_json(record_path, record)
    return record
