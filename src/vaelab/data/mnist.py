"""MNIST-family datasets read from their original file formats, downloaded when missing.

* ``binarized-mnist``: the fixed binarisation of Larochelle & Murray (2011), ``.amat`` text
  or ``.mat`` (key ``X``) files, 50,000/10,000/10,000.
* ``mnist`` and ``fashion-mnist``: the IDX gzip files, 60,000 train + 10,000 test, labels.
* ``omniglot``: the 28x28 ``chardata.mat`` of the IWAE paper (Burda et al., 2015).

Checksums live in :data:`CHECKSUMS`, sizes in :data:`SIZES` (tests replace entries to serve
their own files); every downloaded file has both, and files found on disk are checked once.
"""

from __future__ import annotations

import gzip
import struct
import warnings
import zlib
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from vaelab.data.download import bytes_digest, files_status, find_or_fetch, locate, verify_local
from vaelab.data.registry import LoadContext, RawDataset, register_dataset
from vaelab.errors import DataError

# Every source is https (a download refuses plain http unless it comes from VAELAB_MIRROR or
# 127.0.0.1). The GitHub ones are pinned to a commit, so the bytes behind a URL cannot change.
BASE_URLS = {
    "binarized_mnist": "https://www.cs.toronto.edu/~larocheh/public/datasets/binarized_mnist/",
    "mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/",
    # The maintainers' README: "clone this GitHub repository; the dataset appears under data/fashion"
    # (their other link, the S3 website endpoint, is http only).
    "fashion_mnist": "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/"
                     "b2617bb6d3ffa2e429640350f613e3291e10b141/data/fashion/",
    "omniglot": "https://raw.githubusercontent.com/yburda/iwae/78a6075484bd7dd6f47a4bb9880d2295bc7a5220/"
                "datasets/OMNIGLOT/",
}

# "<subdir>/<filename>" -> "algorithm:hex", for every file a dataset downloads (a test checks that
# none is missing). Files found on disk are checked against it too, once (data.verify).
CHECKSUMS: dict[str, str] = {
    # MD5s from torchvision/datasets/mnist.py (MNIST.resources, FashionMNIST.resources); the
    # Fashion-MNIST ones also match the md5sum.txt shipped by sjb3d/descent (data/fashion_mnist), are
    # the table of the maintainers' README, and the two label files of their repository (data/fashion
    # at b2617bb, the commit the URL is pinned to) have them.
    "mnist/train-images-idx3-ubyte.gz": "md5:f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "mnist/train-labels-idx1-ubyte.gz": "md5:d53e105ee54ea40749a09fcbcd1e9432",
    "mnist/t10k-images-idx3-ubyte.gz": "md5:9fb629c4189551a2d022fa330f9573f3",
    "mnist/t10k-labels-idx1-ubyte.gz": "md5:ec29112dd5afa0611ce80d1b7f02629c",
    "fashion_mnist/train-images-idx3-ubyte.gz": "md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "fashion_mnist/train-labels-idx1-ubyte.gz": "md5:25c81989df183df01b3e8a0aad5dffbe",
    "fashion_mnist/t10k-images-idx3-ubyte.gz": "md5:bef4ecab320f06d8554ea6380940ec79",
    "fashion_mnist/t10k-labels-idx1-ubyte.gz": "md5:bb300cfdad3c16e7a12a480ee83cd310",
    # SHA-256 of the .amat files; no SHA-256/MD5 is published, so derived: the .amat bytes
    # rebuilt from the shared train/valid/test.mat ("0 1 ... 0\n" per row) have exactly the
    # SHA-1s that a public PyTorch loader (BinaryMNISTDataset) pins for the original files
    # (cf70514e... train, 13418487... valid, ca70bd77... test), so these hash the same bytes.
    # (The first 10 training images also match the MD5 in Fuel's BinarizedMNIST test.)
    # A train/valid/test.mat found instead is checked by its contents: variable X written out
    # as .amat text must have these digests (:func:`amat_bytes`).
    "binarized_mnist/binarized_mnist_train.amat":
        "sha256:ad693b29f94c14277b095f5238ddefbbdaaae0939789dd2f4f0205278cee3e4d",
    "binarized_mnist/binarized_mnist_valid.amat":
        "sha256:1de3d397c40fe8eeb33dafd4099a1f665ec01e96d9be234aaeeac8a34930e2e2",
    "binarized_mnist/binarized_mnist_test.amat":
        "sha256:e6687bfea3f820c174f33b7865140b2a2dd2930ef786f35d45795fc193b5ab2c",
    # No MD5/SHA-256 of chardata.mat is published anywhere; its git blob id is: `git ls-tree`
    # of yburda/iwae at 78a6075 (the commit the URL is pinned to, the last to touch the file)
    # lists datasets/OMNIGLOT/chardata.mat as blob 016a3536... (SHA-1 of "blob <size>\0" + bytes).
    "omniglot/chardata.mat": "gitblob:016a3536ffe5e1d38e42563a18d7a78bfaf643ec",
}

# Expected sizes in bytes: a download stops past twice its size (docs/reliability.md).
# MNIST: LeCun's page; Fashion-MNIST labels: the git blobs, images: the README's "26 MBytes" and
# "4.3 MBytes"; .amat: 784 "d " pairs a row, 50,000 / 10,000 / 10,000 rows.
SIZES: dict[str, int] = {
    "mnist/train-images-idx3-ubyte.gz": 9_912_422,
    "mnist/train-labels-idx1-ubyte.gz": 28_881,
    "mnist/t10k-images-idx3-ubyte.gz": 1_648_877,
    "mnist/t10k-labels-idx1-ubyte.gz": 4_542,
    "fashion_mnist/train-images-idx3-ubyte.gz": 26_000_000,
    "fashion_mnist/train-labels-idx1-ubyte.gz": 29_515,
    "fashion_mnist/t10k-images-idx3-ubyte.gz": 4_300_000,
    "fashion_mnist/t10k-labels-idx1-ubyte.gz": 5_148,
    "binarized_mnist/binarized_mnist_train.amat": 78_400_000,
    "binarized_mnist/binarized_mnist_valid.amat": 15_680_000,
    "binarized_mnist/binarized_mnist_test.amat": 15_680_000,
}
# Where no size is known, a bound: chardata.mat's arrays (784 + 50 rows by 32,415 columns) take
# 216 MB as uncompressed float64, the most the file can need; twice that, rounded up.
MAX_BYTES: dict[str, int] = {"omniglot/chardata.mat": 512_000_000}

IDX_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
IMAGES_MAGIC, LABELS_MAGIC = 0x00000803, 0x00000801  # ubyte, 3 dims / ubyte, 1 dim
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
SPLITS = ("train", "valid", "test")
AMAT_FILES = tuple(f"binarized_mnist_{s}.amat" for s in SPLITS)
MAT_FILES = tuple(f"{s}.mat" for s in SPLITS)

#: every file a built-in dataset downloads, by folder
DOWNLOADS: dict[str, tuple[str, ...]] = {"mnist": IDX_FILES, "fashion_mnist": IDX_FILES,
                                         "binarized_mnist": AMAT_FILES, "omniglot": ("chardata.mat",)}


def _fetch(ctx: LoadContext, subdir: str, filename: str, expected: Sequence[str], validate=None) -> Path:
    key = f"{subdir}/{filename}"
    return find_or_fetch(ctx, subdir, filename, BASE_URLS[subdir] + filename, CHECKSUMS[key],
                         expected=expected, validate=validate, size=SIZES.get(key), max_bytes=MAX_BYTES.get(key))


# ---------------------------------------------------------------- IDX (MNIST, Fashion-MNIST)

def parse_idx(raw: bytes, name: str, expect_magic: Optional[int] = None) -> np.ndarray:
    """Decode IDX bytes: 2 zero bytes, a dtype code, the number of dims, big-endian uint32 dims, data."""
    magic = int.from_bytes(raw[:4], "big") if len(raw) >= 4 else None
    fix = "delete it and download it again, or replace it with the original file"
    if magic is None or raw[:2] != b"\0\0" or raw[2] not in _IDX_DTYPES or (
            expect_magic is not None and magic != expect_magic):
        want = f" (expected 0x{expect_magic:08x})" if expect_magic is not None else ""
        found = f"0x{magic:08x}" if magic is not None else "none, file too short"
        raise DataError(f"{name} is not the expected IDX file: magic number {found}{want}; {fix}")
    ndim, header = raw[3], 4 + 4 * raw[3]
    if len(raw) < header:
        raise DataError(f"{name} is truncated inside its IDX header; {fix}")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    want_bytes = int(np.prod(dims)) * dtype.itemsize
    if len(raw) - header != want_bytes:
        raise DataError(f"{name}: the IDX header says shape {dims} ({want_bytes} bytes of data) but the "
                        f"file holds {len(raw) - header}; it is truncated or corrupt; {fix}")
    return np.frombuffer(raw, dtype, offset=header).reshape(dims)


def read_idx(path: Path, expect_magic: Optional[int] = None) -> np.ndarray:
    """Read an IDX file, gzip-compressed (detected from its first bytes) or not."""
    try:
        raw = Path(path).read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"cannot read {path}: {err}; the gzip file is corrupt, delete it and "
                        "download it again") from None
    return parse_idx(raw, str(path), expect_magic)


def _idx_path(ctx: LoadContext, subdir: str, gz_name: str) -> Path:
    """The .gz (verified), else a gunzipped copy (torchvision's raw/ folder holds both), else downloaded."""
    if locate(ctx, subdir, gz_name) is None:
        raw = locate(ctx, subdir, gz_name[:-3])
        if raw is not None:
            if ctx.verify:
                warnings.warn(f"{raw} is a gunzipped copy: only the .gz files have published checksums, so it is "
                              f"checked for its IDX structure only; put {gz_name} next to it to have it verified",
                              stacklevel=2)
            return raw
    return _fetch(ctx, subdir, gz_name, IDX_FILES)


def load_idx_dataset(ctx: LoadContext, subdir: str, classes: list[str]) -> RawDataset:
    """Train and test splits of an MNIST-format dataset, pixels scaled to [0, 1]."""
    splits = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images_path = _idx_path(ctx, subdir, f"{prefix}-images-idx3-ubyte.gz")
        labels_path = _idx_path(ctx, subdir, f"{prefix}-labels-idx1-ubyte.gz")
        images = read_idx(images_path, IMAGES_MAGIC)
        labels = read_idx(labels_path, LABELS_MAGIC)
        if images.shape[1:] != (28, 28) or len(images) != len(labels):
            raise DataError(f"{images_path} holds images of shape {images.shape} but {labels_path} "
                            f"holds {len(labels)} labels; expected (N, 28, 28) images and N labels")
        splits[split] = (images.astype(np.float32) / 255.0, labels.astype(np.int64))
    return RawDataset("unit", (1, 28, 28), splits, {"classes": classes, "source": str(images_path.parent)})


def _idx_status(subdir: str, approx_mb: float):
    raw = [f[:-3] for f in IDX_FILES]
    return lambda ctx: files_status(ctx, subdir, [IDX_FILES, raw], approx_mb)


@register_dataset("mnist", "MNIST digits, 60,000 train + 10,000 test with labels, 28x28 in [0,1]",
                  _idx_status("mnist", 11.6))
def load_mnist(ctx: LoadContext) -> RawDataset:
    return load_idx_dataset(ctx, "mnist", [str(d) for d in range(10)])


@register_dataset("fashion-mnist", "Fashion-MNIST clothing, 60,000 train + 10,000 test with labels, "
                  "28x28 in [0,1]", _idx_status("fashion_mnist", 30.9))
def load_fashion_mnist(ctx: LoadContext) -> RawDataset:
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
    return load_idx_dataset(ctx, "fashion_mnist", classes)


# ---------------------------------------------------------------- MATLAB files

def read_mat(path: Path, keys: Sequence[str]) -> dict:
    """``scipy.io.loadmat`` with clear errors for v7.3 (HDF5) files, corrupt files and missing keys."""
    import scipy.io

    try:
        mat = scipy.io.loadmat(path)
    except NotImplementedError:
        raise DataError(f"{path} is a MATLAB v7.3 (HDF5) file, which scipy cannot read; re-save it in "
                        "MATLAB with save(name, ..., '-v7'), or use the .amat text files instead") from None
    except Exception as err:  # scipy raises ValueError, TypeError, MatReadError, ... for bad files
        raise DataError(f"cannot read {path} as a MATLAB file ({err}); delete it or replace it "
                        "with the original file") from None
    missing = [k for k in keys if k not in mat]
    if missing:
        present = ", ".join(k for k in mat if not k.startswith("__")) or "none"
        raise DataError(f"{path} has no variable {', '.join(missing)} (variables present: {present})")
    return mat


def _matlab_header_check(name: str):
    """A ``validate`` hook for downloads: reject HTML error pages and the like before caching."""
    def check(tmp: Path) -> None:
        with open(tmp, "rb") as fh:
            head = fh.read(20)
        if not head.startswith(b"MATLAB"):
            raise DataError(f"the download of {name} is not a MATLAB file (it starts with {head!r}); "
                            "it was discarded. Retry later, or get the file by hand")
    return check


# ---------------------------------------------------------------- binarized MNIST

def _amat_fast(raw: bytes) -> Optional[np.ndarray]:
    """The common exact layout, "0 1 ... 0\\n" (784 digits per row), decoded without parsing text."""
    row = 784 * 2
    buf = np.frombuffer(raw, np.uint8)
    if buf.size == 0 or buf.size % row:
        return None
    cells = buf.reshape(-1, row)
    digits, seps = cells[:, 0::2], cells[:, 1::2]
    if not ((seps[:, :-1] == ord(" ")).all() and (seps[:, -1] == ord("\n")).all()):
        return None
    if not ((digits == ord("0")) | (digits == ord("1"))).all():
        return None
    return (digits - ord("0")).astype(np.uint8)


def read_amat(path: Path) -> np.ndarray:
    """A binarized-MNIST ``.amat`` file: rows of 784 space-separated 0/1 values -> uint8 (N, 784)."""
    x = _amat_fast(Path(path).read_bytes())
    if x is not None:
        return x
    try:  # other whitespace or "0.0"-style numbers: slower, general parsing
        x = np.loadtxt(path, dtype=np.float32, ndmin=2)
    except ValueError as err:
        raise DataError(f"cannot parse {path} as .amat text ({err}); expected rows of 784 "
                        "space-separated 0/1 values") from None
    if x.shape[1] != 784 or not np.isin(x, (0.0, 1.0)).all():
        raise DataError(f"{path} should hold rows of 784 values in {{0, 1}}; found {x.shape[1]} columns "
                        f"with values in [{x.min()}, {x.max()}]")
    return x.astype(np.uint8)


def read_binary_mat(path: Path) -> np.ndarray:
    """A binarized-MNIST ``.mat`` file: variable ``X``, (N, 784) of 0/1 -> uint8 (N, 784)."""
    x = np.asarray(read_mat(path, ["X"])["X"])
    if x.ndim == 2 and x.shape[0] == 784 and x.shape[1] != 784:
        x = x.T  # saved column-per-example, as MATLAB code often does
    if x.ndim != 2 or x.shape[1] != 784:
        raise DataError(f"{path}: variable X has shape {x.shape}; expected (N, 784)")
    if x.size and not np.isin(x, (0, 1)).all():
        raise DataError(f"{path}: variable X holds values other than 0 and 1; this is not binarized MNIST")
    return x.astype(np.uint8)


def amat_bytes(x: np.ndarray) -> bytes:
    """uint8 (N, 784) of 0/1 as the original .amat text: "0 1 ... 0\\n" a row."""
    rows = np.full((len(x), 784 * 2), ord(" "), np.uint8)
    rows[:, 0::2] = x + ord("0")
    rows[:, -1] = ord("\n")
    return rows.tobytes()


def _binarized_path(ctx: LoadContext, split: str) -> Path:
    """``binarized_mnist_<split>.amat`` (verified) or ``<split>.mat``, data dir first; download the .amat."""
    amat = f"binarized_mnist_{split}.amat"
    for folder in ctx.search_dirs("binarized_mnist"):
        if (folder / amat).is_file():
            return verify_local(ctx, folder / amat, CHECKSUMS[f"binarized_mnist/{amat}"])
        if (folder / f"{split}.mat").is_file():
            return folder / f"{split}.mat"  # checked by its contents once read (load_binarized_mnist)
    expected = list(AMAT_FILES[:-1]) + [f"{AMAT_FILES[-1]} (or train.mat, valid.mat, test.mat with variable X)"]
    return _fetch(ctx, "binarized_mnist", amat, expected)


def _read_binarized(ctx: LoadContext, path: Path, split: str) -> np.ndarray:
    if path.suffix == ".amat":
        return read_amat(path)
    x = read_binary_mat(path)
    amat = f"binarized_mnist_{split}.amat"
    verify_local(ctx, path, CHECKSUMS[f"binarized_mnist/{amat}"], digest=lambda alg: bytes_digest(amat_bytes(x), alg),
                 what=f" (of its variable X written out as {amat})")
    return x


@register_dataset("binarized-mnist", "statically binarized MNIST (Larochelle & Murray), 50,000/10,000/10,000, "
                  "28x28 binary, no labels",
                  lambda ctx: files_status(ctx, "binarized_mnist", [AMAT_FILES, MAT_FILES], 110))
def load_binarized_mnist(ctx: LoadContext) -> RawDataset:
    splits, sources = {}, []
    for split in SPLITS:
        path = _binarized_path(ctx, split)
        x = _read_binarized(ctx, path, split)
        splits[split] = (x, None)
        sources.append(str(path))
    return RawDataset("binary", (1, 28, 28), splits, {"files": sources})


# ---------------------------------------------------------------- Omniglot (IWAE version)

def omniglot_images(data: np.ndarray, path: Path, key: str) -> np.ndarray:
    """(784, N) MATLAB columns -> upright (N, 28, 28) float32 images.

    Each column is a 28x28 image flattened column-major (MATLAB order), so it is unflattened
    with ``order="F"``. Flattened row-major again, this equals the IWAE code's
    ``data.T.reshape((-1, 28, 28)).reshape((-1, 784), order='F')`` (yburda/iwae datasets.py).
    """
    data = np.asarray(data)
    if data.ndim != 2 or data.shape[0] != 784:
        raise DataError(f"{path}: variable {key} has shape {data.shape}; expected (784, N)")
    return data.astype(np.float32).T.reshape((-1, 28, 28), order="F")


def _alphabet_labels(target, n: int) -> Optional[np.ndarray]:
    """One-hot alphabet labels, (50, N) in chardata.mat -> int (N,), or None when absent."""
    if target is None:
        return None
    target = np.asarray(target)
    if target.ndim == 2 and target.shape[1] == n:
        return target.argmax(axis=0)
    if target.ndim == 2 and target.shape[0] == n:
        return target.argmax(axis=1)
    return None  # an unexpected layout: images are still usable, labels are optional


@register_dataset("omniglot", "Omniglot characters as used by IWAE (Burda et al.), 24,345 train + 8,070 "
                  "test, 28x28 in [0,1], alphabet labels",
                  lambda ctx: files_status(ctx, "omniglot", [["chardata.mat"]], None))
def load_omniglot(ctx: LoadContext) -> RawDataset:
    """chardata.mat is checked against its git blob id (``CHECKSUMS``), and its contents when loaded."""
    path = _fetch(ctx, "omniglot", "chardata.mat", ["chardata.mat"], _matlab_header_check("chardata.mat"))
    mat = read_mat(path, ["data", "testdata"])
    splits = {}
    for split, key, target in (("train", "data", "target"), ("test", "testdata", "testtarget")):
        x = omniglot_images(mat[key], path, key)
        splits[split] = (x, _alphabet_labels(mat.get(target), len(x)))
    info = {"source": str(path), "labels": "alphabet"}
    if splits["train"][1] is None or splits["test"][1] is None:
        splits = {k: (x, None) for k, (x, _) in splits.items()}  # labels for both splits or neither
        info.pop("labels")
    return RawDataset("unit", (1, 28, 28), splits, info)
