"""The checks every dataset passes after loading: one place, one line per problem, each naming the fix.

:func:`check_raw` runs on what a loader returns, before the splits are cut, so rows are
counted as in the user's file: at least one example and one feature, finite values,
class labels that are usable (0..K-1), finite scores. :func:`check_splits` runs on the
split sizes: loading needs a training example, training needs :data:`MIN_TRAIN`
training and :data:`MIN_VALID` validation examples (:func:`check_trainable`), and an
evaluation needs :data:`MIN_EVAL` examples of its split (:func:`check_eval_split`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vaelab.errors import ConfigError, DataError

#: training needs two examples (one batch with batch statistics) and one validation example
#: (the best checkpoint and early stopping follow the validation loss)
MIN_TRAIN, MIN_VALID = 2, 1
#: an evaluation needs two examples: active units and the FD are variances over the split
MIN_EVAL = 2
#: labels are class numbers 0..K-1; a conditional model one-hot encodes them, so K is capped
MAX_CLASSES = 100_000
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_SHOWN = 5  # rows named in a message


def rows(idx: Sequence[int], shown: int = _SHOWN) -> str:
    """``rows 3, 7`` or ``rows 3, 7, 9, 11, 12 and 40 more`` (rows counted from 0, as in NumPy)."""
    idx = [int(i) for i in idx]
    head = ", ".join(str(i) for i in idx[:shown])
    more = f" and {len(idx) - shown:,} more" if len(idx) > shown else ""
    return f"row{'s' if len(idx) > 1 else ''} {head}{more}"


def _part(split: str) -> str:
    """How a loader's split is named in a message: the training data is the main file (option path)."""
    return "training data" if split == "train" else f"{split} data"


def check_features(event_shape: Sequence[int], x, name: str) -> None:
    """Each example must hold at least one value: an array of shape (N, 0) is refused."""
    if int(np.prod(event_shape, dtype=np.int64)) == 0:
        raise DataError(f"dataset '{name}' has no features: each example has shape {tuple(event_shape)} "
                        f"(x has shape {tuple(np.shape(x))}), so there is nothing to learn; give x at least one "
                        "value per example, shape (N, D) with D >= 1")


def nonfinite_rows(x: np.ndarray) -> np.ndarray:
    """Positions of the examples holding NaN, Inf, or values float32 cannot hold (|v| > 3.4e38)."""
    if x.dtype.kind not in "fc" or x.size == 0:
        return np.zeros(0, dtype=np.int64)
    flat = x.reshape(len(x), -1)
    bad = ~np.isfinite(flat).all(1)
    if x.dtype.itemsize > 4:  # stored as float32 later: float64 values beyond its range would become Inf
        with np.errstate(invalid="ignore"):
            bad |= (np.abs(flat) > _FLOAT32_MAX).any(1)
    return np.flatnonzero(bad)


def check_finite(x, name: str, split: str, what: str = "x") -> None:
    """NaN/Inf in ``x`` are refused, naming how many examples and which rows."""
    x = np.asarray(x)
    bad = nonfinite_rows(x)
    if bad.size:
        raise DataError(f"dataset '{name}': {what} holds NaN or Inf (or values beyond float32's ±3.4e38) in "
                        f"{bad.size:,} of {len(x):,} examples of the {_part(split)} ({rows(bad)}, counting from 0); "
                        "drop or impute them (e.g. np.nan_to_num) before training")


def check_labels(y, name: str, split: str, classes: Sequence | None = None) -> None:
    """Labels must be class numbers 0..K-1 (K = the class list's length when there is one)."""
    if y is None:
        return
    y = np.asarray(y).reshape(-1)
    if y.size == 0:
        return
    if y.dtype.kind not in "biu":
        raise DataError(f"dataset '{name}': the labels of the {_part(split)} have dtype {y.dtype}; "
                        "labels are class numbers 0..K-1 (integers)")
    limit = len(classes) if classes else MAX_CLASSES
    bad = np.flatnonzero((y < 0) | (y >= limit))
    if bad.size:
        raise DataError(f"dataset '{name}': {bad.size:,} label(s) of the {_part(split)} are not class numbers "
                        f"{_allowed(classes)}: label {int(y[bad[0]])} at {rows(bad)} (counting from 0); renumber "
                        "the labels, e.g. y = np.unique(y, return_inverse=True)[1]")


def _allowed(classes: Sequence | None) -> str:
    """The label range a message names: the dataset's classes, else 0..K-1 with K capped."""
    if not classes:
        return f"0..K-1 (K at most {MAX_CLASSES:,})"
    names = ", ".join(map(str, list(classes)[:5])) + (", ..." if len(classes) > 5 else "")
    return f"0..{len(classes) - 1} (the {len(classes)} classes {names})"


def check_raw(raw, name: str) -> None:
    """Every split a loader returned: training examples, features, finite x and scores, usable labels.

    An empty validation or test split passes here: :func:`check_splits` says what it
    means for training (and :func:`check_eval_split` for an evaluation).
    """
    classes = raw.info.get("classes") if isinstance(raw.info, dict) else None
    for split, (x, y, *rest) in raw.splits.items():
        if len(x) == 0 and split == "train":
            raise DataError(f"dataset '{name}': the {_part(split)} holds no examples (x has shape "
                            f"{tuple(np.shape(x))}); give at least one example")
        check_features(raw.event_shape, x, name)
        check_finite(x, name, split)
        check_labels(y, name, split, classes)
        if rest and rest[0] is not None:
            check_finite(rest[0], name, split, what="the score")


# ---------------------------------------------------------------- split sizes

def split_sizes(splits) -> dict[str, int]:
    """``{"train": n, "valid": n, "test": n}`` of a mapping (or DataBundle) of splits."""
    get = splits.get if isinstance(splits, dict) else lambda s: getattr(splits, s)
    return {s: len(get(s)) for s in ("train", "valid", "test")}


def check_splits(name: str, sizes: dict[str, int], cfg, training: bool = False) -> None:
    """Enough examples in each split: loading needs one training example, training :data:`MIN_TRAIN`
    training and :data:`MIN_VALID` validation examples. ``cfg`` is the DataConfig (its fractions and limit
    are named in the fix)."""
    need_train, need_valid = (MIN_TRAIN, MIN_VALID) if training else (1, 0)
    if sizes["train"] >= need_train and sizes["valid"] >= need_valid:
        return
    if sizes["valid"] < need_valid and cfg.valid_fraction == 0:
        raise ConfigError("data.valid_fraction=0 holds no validation examples out, and training needs them (the "
                          "best checkpoint and early stopping follow the validation loss); set data.valid_fraction "
                          "above 0 (e.g. 0.1), or give a validation file (data.options.valid_path)")
    counts = "/".join(f"{sizes[s]:,}" for s in ("train", "valid", "test"))
    limit = f", data.limit={cfg.limit}" if cfg.limit is not None else ""
    needs = (f"training needs at least {MIN_TRAIN} training examples and {MIN_VALID} validation example"
             if training else "it needs at least one training example")
    total = sum(sizes.values())
    raise DataError(f"dataset '{name}' is too small: its {total:,} example(s) split into {counts} train/valid/test "
                    f"(data.valid_fraction={cfg.valid_fraction}, data.test_fraction={cfg.test_fraction}{limit}), "
                    f"and {needs}; give more data, or lower data.test_fraction / data.valid_fraction")


def check_trainable(bundle, cfg) -> None:
    """A loaded dataset can be trained on: enough training and validation examples (see :func:`check_splits`)."""
    check_splits(bundle.name, split_sizes(bundle), cfg, training=True)


def check_pseudo_labels(k: int, n_train: int) -> None:
    """k-means pseudo-labels need at least k training examples."""
    if k > n_train:
        raise ConfigError(f"data.pseudo_labels={k} asks for {k} k-means clusters of {n_train} training examples; "
                          f"choose at most {n_train}, or give more data")


def check_eval_split(split: str, n: int, limit: int | None = None) -> None:
    """An evaluation needs :data:`MIN_EVAL` examples of its split (variances over the examples)."""
    if n >= MIN_EVAL:
        return
    if limit is not None and limit < MIN_EVAL:
        raise ConfigError(f"--limit {limit} leaves {n} example(s) of split '{split}'; evaluation needs at least "
                          f"{MIN_EVAL} (active units and the FD are variances over examples)")
    fraction = {"test": "data.test_fraction", "valid": "data.valid_fraction"}.get(split)
    fix = f"evaluate another split (--split), or train again with a larger {fraction}" if fraction \
        else "evaluate another split (--split)"
    raise DataError(f"split '{split}' of this run holds {n} example(s), and evaluation needs at least {MIN_EVAL} "
                    f"(active units and the FD are variances over examples); {fix}")
