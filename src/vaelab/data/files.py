"""Bring-your-own datasets: NumPy array files (``array``) and folders of images (``images``)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any, Optional

import numpy as np

from vaelab.data.registry import LoadContext, RawDataset, register_dataset
from vaelab.errors import DataError

_ARRAY_OPTIONS = {"path": None, "x_key": "x", "y_key": "y", "score_key": "score", "kind": "auto", "event_shape": None,
                  "valid_path": None, "test_path": None}
_IMAGE_OPTIONS = {"path": None, "size": [28, 28], "grayscale": True, "labels": None}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}


def _resolve(ctx: LoadContext, dataset: str, option: str, must_be_dir: bool = False) -> Path:
    """The file or folder an option names; relative paths are tried from the cwd, then the data dir."""
    value = ctx.options.get(option)
    if not value:
        raise DataError(f"dataset '{dataset}' needs the option '{option}' "
                        f"(e.g. data.options.{option}=/path/to/{'folder' if must_be_dir else 'file.npz'})")
    path = Path(str(value)).expanduser()
    candidates = [path] if path.is_absolute() or ctx.data_dir is None else [path, ctx.data_dir / path]
    for p in candidates:
        if p.is_dir() if must_be_dir else p.is_file():
            return p
    what = "folder" if must_be_dir else "file"
    raise DataError(f"dataset '{dataset}': option {option}: {what} not found: "
                    f"{' or '.join(str(p.absolute()) for p in candidates)}")


# ---------------------------------------------------------------- array

def _load_arrays(path: Path) -> dict[str, np.ndarray]:
    """name -> array for a .npz, {"": array} for a .npy; pickled arrays refused."""
    if path.suffix not in (".npy", ".npz"):
        raise DataError(f"{path}: dataset 'array' reads .npy or .npz files (got '{path.suffix}')")
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            return {"": loaded}
        with loaded:
            return {k: loaded[k] for k in loaded.files}
    except ValueError as err:
        if "allow_pickle" in str(err):
            raise DataError(f"{path} holds object (pickled) arrays, which are refused for safety: loading "
                            "them can run arbitrary code. Save plain numeric arrays instead, "
                            "e.g. np.savez(path, x=x.astype(np.float32), y=y.astype(np.int64))") from None
        raise DataError(f"cannot read {path}: {err}") from None
    except (OSError, EOFError, zipfile.BadZipFile) as err:
        raise DataError(f"cannot read {path} as a NumPy file ({err})") from None


def _pick(arrays: dict, path: Path, key: str, default_key: str, required: bool) -> Optional[np.ndarray]:
    """``arrays[key]``; a lone array stands in for the default x key; a clear error when missing."""
    if "" in arrays:  # .npy: the single array is x; it has no labels
        return arrays[""] if required else None
    if key in arrays:
        return arrays[key]
    if required and key == default_key and len(arrays) == 1:
        return next(iter(arrays.values()))
    if required or key != default_key:
        present = ", ".join(sorted(arrays)) or "none"
        opt = "x_key" if required else "y_key"
        raise DataError(f"{path} has no array '{key}' (arrays present: {present}); set data.options.{opt}")
    return None


def _split_arrays(ctx: LoadContext, option: str) -> tuple:
    """(x, labels or None, per-example scores or None) from one file."""
    path = _resolve(ctx, "array", option)
    arrays = _load_arrays(path)
    o = ctx.options
    x = _pick(arrays, path, o["x_key"], _ARRAY_OPTIONS["x_key"], required=True)
    y = _pick(arrays, path, o["y_key"], _ARRAY_OPTIONS["y_key"], required=False)
    if x.dtype.kind not in "biuf":
        raise DataError(f"{path}: array '{o['x_key']}' has dtype {x.dtype}; expected numbers")
    if x.ndim == 1:
        x = x[:, None]  # one scalar feature per example
    if y is not None and (y.ndim != 1 or len(y) != len(x) or y.dtype.kind not in "biu"):
        raise DataError(f"{path}: labels '{o['y_key']}' must be N={len(x)} integers; got shape {y.shape}, "
                        f"dtype {y.dtype}")
    score = arrays.get(o["score_key"]) if o["score_key"] else None
    if score is not None and (score.ndim != 1 or len(score) != len(x) or score.dtype.kind not in "biuf"):
        raise DataError(f"{path}: scores '{o['score_key']}' must be N={len(x)} numbers; got shape {score.shape}")
    return x, y, score


def infer_kind(xs: list[np.ndarray]) -> str:
    """binary when every value is 0 or 1, unit when all lie in [0, 1], else real."""
    if all(np.isin(x, (0, 1)).all() for x in xs):
        return "binary"
    if all(x.size == 0 or (np.min(x) >= 0 and np.max(x) <= 1) for x in xs):
        return "unit"
    return "real"


def _event_shape(option: Any, x: np.ndarray) -> tuple[int, ...]:
    if option is None:
        return tuple(x.shape[1:])
    if not isinstance(option, (list, tuple)) or not all(isinstance(d, int) and d > 0 for d in option):
        raise DataError(f"array option event_shape={option!r}: must be a list of positive integers")
    size = int(np.prod(x.shape[1:]))
    if int(np.prod(option)) != size:
        raise DataError(f"array option event_shape={list(option)} holds {int(np.prod(option))} values but each "
                        f"example has {size} (shape {tuple(x.shape[1:])})")
    return tuple(option)


@register_dataset("array", "your own .npy/.npz arrays (options: path, x_key, y_key, score_key, kind, event_shape, "
                  "valid_path, test_path)", "user file (option path)", options=_ARRAY_OPTIONS)
def load_array(ctx: LoadContext) -> RawDataset:
    kind = ctx.options["kind"]
    if kind not in ("auto", "binary", "unit", "real"):
        raise DataError(f"array option kind={kind!r}: choose auto, binary, unit or real")
    splits = {"train": _split_arrays(ctx, "path")}
    for split in ("valid", "test"):
        if ctx.options.get(f"{split}_path"):
            splits[split] = _split_arrays(ctx, f"{split}_path")
    event_shape = _event_shape(ctx.options["event_shape"], splits["train"][0])
    size = int(np.prod(event_shape))
    for split, (x, *_) in splits.items():
        if int(np.prod(x.shape[1:])) != size:
            raise DataError(f"array: the {split} examples have shape {tuple(x.shape[1:])}, "
                            f"which does not match the training examples' {size} values")
    if kind == "auto":
        kind = infer_kind([x for x, *_ in splits.values()])
    return RawDataset(kind, event_shape, splits, {"source": str(_resolve(ctx, "array", "path"))})


# ---------------------------------------------------------------- images

def _image_files(folder: Path) -> list[Path]:
    # Hidden files (e.g. macOS "._x.png" metadata) are not images even when named like one.
    return sorted(p for p in folder.rglob("*")
                  if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".") and p.is_file())


def _read_image(path: Path, size: tuple[int, int], grayscale: bool) -> np.ndarray:
    """One image as float32 (C, H, W) in [0, 1], resized to ``size`` = (height, width)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img = img.convert("L" if grayscale else "RGB")
            if img.size != (size[1], size[0]):  # PIL sizes are (width, height)
                img = img.resize((size[1], size[0]), Image.Resampling.BILINEAR)
            arr = np.asarray(img, dtype=np.float32) / 255.0
    except (UnidentifiedImageError, OSError) as err:
        raise DataError(f"cannot read image {path} ({err}); delete or replace it") from None
    return arr[None] if grayscale else arr.transpose(2, 0, 1)


def _image_options(o: dict) -> tuple[tuple[int, int], bool, Optional[str]]:
    size = o["size"]
    if not isinstance(size, (list, tuple)) or len(size) != 2 or not all(isinstance(d, int) and d > 0 for d in size):
        raise DataError(f"images option size={size!r}: must be [height, width], two positive integers")
    if o["labels"] not in (None, "folders", "none"):
        raise DataError(f"images option labels={o['labels']!r}: choose folders or none")
    return (size[0], size[1]), bool(o["grayscale"]), o["labels"]


def _labelled_files(root: Path, labels: Optional[str]) -> tuple[list[Path], Optional[list[int]], list[str]]:
    """Image files, their labels (index into the sorted subfolder names) or None, and the class names."""
    groups = {d.name: _image_files(d) for d in sorted(root.iterdir()) if d.is_dir()}
    groups = {name: files for name, files in groups.items() if files}
    if labels is None:
        labels = "folders" if groups else "none"
    if labels == "none":
        return _image_files(root), None, []
    if not groups:
        raise DataError(f"images option labels=folders, but {root} has no subfolders with images")
    classes = sorted(groups)
    files = [f for c in classes for f in groups[c]]
    return files, [i for i, c in enumerate(classes) for _ in groups[c]], classes


@register_dataset("images", "your own folder of png/jpg/bmp/gif images, resized, in [0,1]; subfolders as "
                  "labels (options: path, size, grayscale, labels)", "user folder (option path)",
                  options=_IMAGE_OPTIONS)
def load_images(ctx: LoadContext) -> RawDataset:
    root = _resolve(ctx, "images", "path", must_be_dir=True)
    size, grayscale, labels = _image_options(ctx.options)
    files, y, classes = _labelled_files(root, labels)
    if not files:
        raise DataError(f"no images found under {root} (looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
    x = np.stack([_read_image(f, size, grayscale) for f in files])
    info = {"source": str(root), "files": len(files)}
    if classes:
        info["classes"] = classes
    return RawDataset("unit", tuple(x.shape[1:]), {"train": (x, None if y is None else np.asarray(y))}, info)
