"""Bring-your-own datasets: NumPy array files (``array``) and folders of images (``images``)."""

from __future__ import annotations

import re
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Optional

import numpy as np

from vaelab.data.registry import LoadContext, RawDataset, register_dataset
from vaelab.errors import DataError
from vaelab.progress import counter

_ARRAY_OPTIONS = {"path": None, "x_key": "x", "y_key": "y", "score_key": "score", "kind": "auto", "event_shape": None,
                  "valid_path": None, "test_path": None}
#: max_pixels: PIL's own decompression-bomb limit (Image.MAX_IMAGE_PIXELS), here an error naming the option
_IMAGE_OPTIONS = {"path": None, "size": [28, 28], "grayscale": True, "labels": None, "max_images": 1_000_000,
                  "max_pixels": 89_478_485}
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
    if x.ndim == 0:
        raise DataError(f"{path}: array '{o['x_key']}' is a single number, not examples; save x with shape (N, D)")
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


@contextmanager
def _pixel_limit(max_pixels: int) -> Iterator[None]:
    """PIL's decompression-bomb guard at ``max_pixels``, its warning (above the limit) raised as an error."""
    from PIL import Image

    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def _too_many_pixels(path: Path, err: Exception, max_pixels: int) -> DataError:
    """PIL's decompression-bomb error or warning as one line naming the file, its pixels and the option."""
    found = re.search(r"\((\d+) pixels\)", str(err))  # PIL: "Image size (N pixels) exceeds limit of M pixels ..."
    pixels = int(found.group(1)) if found else 4 * max_pixels
    size = f"{pixels:,} pixels" if found else "more pixels"
    return DataError(f"image {path} has {size}, over the limit of {max_pixels:,} (data.options.max_pixels, a guard "
                     "against decompression bombs); if the image is genuine, raise the limit: "
                     f"--set data.options.max_pixels={pixels}")


def _as_unit(img, grayscale: bool, path: Path):
    """The PIL image in a mode whose values map to [0, 1]: L or RGB (8 bits), or F for 16-bit images (/ 65535)."""
    from PIL import Image

    if not img.mode.startswith("I"):  # 8-bit modes (1, L, P, RGB, RGBA, CMYK, ...): PIL converts them
        return img.convert("L" if grayscale else "RGB")
    arr = np.asarray(img, dtype=np.float32)  # 16-bit PNGs open as I;16 (or I); PIL's convert would clip at 255
    if arr.size and float(arr.max()) > 65535:
        raise DataError(f"image {path} holds 32-bit values (mode {img.mode}, up to {float(arr.max()):.0f}); "
                        "vaelab reads 8- and 16-bit images: save it with 8 or 16 bits per channel")
    return Image.fromarray(arr / np.float32(65535.0))  # float32: mode F


def _read_image(path: Path, size: tuple[int, int], grayscale: bool, max_pixels: int
                ) -> tuple[np.ndarray, tuple[int, int], str]:
    """One image as float32 (C, H, W) in [0, 1], resized to ``size`` = (height, width); its own size and mode.

    Call it under :func:`_pixel_limit` (``max_pixels`` is named in the error).
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            found = (img.size, img.mode)
            img = _as_unit(img, grayscale, path)
            if img.size != (size[1], size[0]):  # PIL sizes are (width, height)
                img = img.resize((size[1], size[0]), Image.Resampling.BILINEAR)
            arr = np.asarray(img, dtype=np.float32) / (1.0 if img.mode == "F" else 255.0)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise _too_many_pixels(path, err, max_pixels) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as err:
        raise DataError(f"cannot read image {path} ({type(err).__name__}: {err}); delete or replace it") from None
    if arr.ndim == 2:  # (H, W): grayscale, or a 16-bit image read as RGB
        return (arr[None] if grayscale else np.repeat(arr[None], 3, axis=0)), *found
    return arr.transpose(2, 0, 1), *found


def _positive_int(o: dict, key: str) -> int:
    value = o[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DataError(f"images option {key}={value!r}: must be a positive whole number")
    return value


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


def _check_count(files: list[Path], root: Path, max_images: int) -> None:
    if not files:
        raise DataError(f"no images found under {root} (looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
    if len(files) > max_images:
        raise DataError(f"{root} holds {len(files):,} images, more than data.options.max_images={max_images:,}; "
                        f"raise the limit (--set data.options.max_images={len(files)}) or point data.options.path "
                        "at a smaller folder")


def _read_images(files: list[Path], root: Path, size: tuple[int, int], grayscale: bool, max_pixels: int,
                 progress: bool = True) -> tuple[np.ndarray, Counter, Counter]:
    """(N, C, H, W) float32 in [0, 1], read one file at a time with a progress bar; the sizes and modes found."""
    x = np.empty((len(files), 1 if grayscale else 3, *size), dtype=np.float32)
    sizes, modes = Counter(), Counter()
    what = f"{len(files):,} image{'s' if len(files) > 1 else ''}"
    with counter(f"images: reading {what} under {root}", len(files), progress, kind="rate") as advance, \
            _pixel_limit(max_pixels):
        for i, path in enumerate(files):
            x[i], found_size, mode = _read_image(path, size, grayscale, max_pixels)
            sizes[found_size] += 1
            modes[mode] += 1
            advance(1)
    return x, sizes, modes


def _mixed_note(root: Path, n: int, sizes: Counter, modes: Counter, size: tuple[int, int], grayscale: bool
                ) -> str | None:
    """One line when the images differ in size or mode (all are resized and converted alike), else None."""
    notes = []
    if len(sizes) > 1:
        shown = ", ".join(f"{w}x{h}: {k:,}" for (w, h), k in sizes.most_common(3))
        notes.append(f"{len(sizes)} sizes (width x height {shown}{', ...' if len(sizes) > 3 else ''}), all resized "
                     f"to {size[1]}x{size[0]} (data.options.size=[{size[0]}, {size[1]}]), which stretches those "
                     "of another shape")
    if len(modes) > 1:
        shown = ", ".join(f"{m}: {k:,}" for m, k in modes.most_common())
        notes.append(f"{len(modes)} modes ({shown}), all converted to {'grayscale' if grayscale else 'RGB'}"
                     " (transparency dropped)")
    return f"images: the {n:,} images under {root} come in " + "; and ".join(notes) if notes else None


@register_dataset("images", "your own folder of png/jpg/bmp/gif images, resized, in [0,1]; subfolders as "
                  "labels (options: path, size, grayscale, labels, max_images, max_pixels)",
                  "user folder (option path)", options=_IMAGE_OPTIONS)
def load_images(ctx: LoadContext) -> RawDataset:
    root = _resolve(ctx, "images", "path", must_be_dir=True)
    size, grayscale, labels = _image_options(ctx.options)
    max_images, max_pixels = _positive_int(ctx.options, "max_images"), _positive_int(ctx.options, "max_pixels")
    files, y, classes = _labelled_files(root, labels)
    _check_count(files, root, max_images)
    x, sizes, modes = _read_images(files, root, size, grayscale, max_pixels, ctx.progress)
    note = _mixed_note(root, len(files), sizes, modes, size, grayscale)
    if note:
        warnings.warn(note, stacklevel=2)
    info = {"source": str(root), "files": len(files)}
    if classes:
        info["classes"] = classes
    return RawDataset("unit", tuple(x.shape[1:]), {"train": (x, None if y is None else np.asarray(y))}, info)
