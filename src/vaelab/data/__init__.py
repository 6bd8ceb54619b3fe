"""Datasets as in-memory tensors with a small common interface; see :func:`load_data`."""

from vaelab.data.base import DataBundle, Split
from vaelab.data.registry import DATASETS, dataset_table, get_spec, load_data, register_dataset
from vaelab.data.transforms import dynamic_binarize, threshold_binarize

__all__ = [
    "DATASETS",
    "DataBundle",
    "Split",
    "dataset_table",
    "dynamic_binarize",
    "get_spec",
    "load_data",
    "register_dataset",
    "threshold_binarize",
]
