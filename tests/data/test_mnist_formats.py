"""File formats of the MNIST family: IDX, .amat, .mat (binarized MNIST), chardata.mat (Omniglot)."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from vaelab.config import DataConfig
from vaelab.data import load_data
from vaelab.data.mnist import (IMAGES_MAGIC, LABELS_MAGIC, omniglot_images, parse_idx, read_amat,
                               read_binary_mat, read_idx)
from vaelab.errors import DataError

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch):
    """Empty cache, no data dir from the environment, and no network used by accident."""
    monkeypatch.setenv("VAELAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("VAELAB_DATA", raising=False)
    monkeypatch.setenv("VAELAB_MIRROR", "http://127.0.0.1:9/")  # discard port: fails fast


# ---------------------------------------------------------------- IDX

def test_idx_roundtrip_gz_and_raw(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (20, 28, 28)).astype(np.uint8)
    (tmp_path / "a.gz").write_bytes(gzip.compress(idx_bytes(images)))
    (tmp_path / "a").write_bytes(idx_bytes(images))
    assert np.array_equal(read_idx(tmp_path / "a.gz", IMAGES_MAGIC), images)
    assert np.array_equal(read_idx(tmp_path / "a"), images)


def test_idx_corrupt_magic():
    raw = bytearray(idx_bytes(np.zeros((2, 28, 28))))
    raw[0:4] = b"\x50\x4b\x03\x04"  # a zip file, say
    with pytest.raises(DataError, match=r"x\.idx is not the expected IDX file: magic number 0x504b0304"):
        parse_idx(bytes(raw), "x.idx")


def test_idx_labels_where_images_expected():
    with pytest.raises(DataError, match="magic number 0x00000801 \\(expected 0x00000803\\)"):
        parse_idx(idx_bytes(np.zeros(5)), "labels.idx", IMAGES_MAGIC)


def test_idx_truncated_and_empty():
    with pytest.raises(DataError, match="truncated or corrupt"):
        parse_idx(idx_bytes(np.zeros((3, 28, 28)))[:-5], "t.idx", IMAGES_MAGIC)
    with pytest.raises(DataError, match="file too short"):
        parse_idx(b"", "empty.idx")


def test_idx_corrupt_gzip(tmp_path):
    good = gzip.compress(idx_bytes(np.zeros(5)))
    (tmp_path / "l.gz").write_bytes(good[:-12])
    with pytest.raises(DataError, match="gzip file is corrupt"):
        read_idx(tmp_path / "l.gz", LABELS_MAGIC)


def test_mnist_from_data_dir_uncompressed(tmp_path):
    folder = tmp_path / "data" / "fashion_mnist"
    folder.mkdir(parents=True)
    for prefix, n in (("train", 20), ("t10k", 10)):
        (folder / f"{prefix}-images-idx3-ubyte").write_bytes(idx_bytes(np.full((n, 28, 28), 255)))
        (folder / f"{prefix}-labels-idx1-ubyte").write_bytes(idx_bytes(np.arange(n) % 10))
    with pytest.warns(UserWarning, match="gunzipped copy.*IDX structure only"):  # no published checksum
        b = load_data(DataConfig(name="fashion-mnist", data_dir=str(tmp_path / "data")))
    assert b.kind == "unit" and b.event_shape == (1, 28, 28) and len(b.test) == 10
    assert float(b.train.x.max()) == 1.0 and b.test.y.tolist() == list(range(10))
    assert b.info["classes"][9] == "Ankle boot"


# ---------------------------------------------------------------- binarized MNIST

def amat_text(x: np.ndarray, sep: str = " ", end: str = "\n") -> str:
    return "".join(sep.join(str(v) for v in row) + end for row in x)


def test_read_amat_exact_layout(tmp_path):
    x = np.random.default_rng(1).integers(0, 2, (7, 784)).astype(np.uint8)
    (tmp_path / "a.amat").write_text(amat_text(x))
    out = read_amat(tmp_path / "a.amat")
    assert out.dtype == np.uint8 and np.array_equal(out, x)


def test_read_amat_other_whitespace(tmp_path):
    x = np.random.default_rng(2).integers(0, 2, (3, 784))
    (tmp_path / "a.amat").write_text(amat_text(x, "  ", " \r\n"))
    assert np.array_equal(read_amat(tmp_path / "a.amat"), x)


def test_read_amat_bad_values(tmp_path):
    (tmp_path / "a.amat").write_text(amat_text(np.full((2, 784), 2)))
    with pytest.raises(DataError, match="784 values in"):
        read_amat(tmp_path / "a.amat")
    (tmp_path / "b.amat").write_text("0 1 x\n")
    with pytest.raises(DataError, match="cannot parse"):
        read_amat(tmp_path / "b.amat")


def test_read_binary_mat(tmp_path):
    x = np.random.default_rng(3).integers(0, 2, (5, 784)).astype(np.uint8)
    scipy.io.savemat(tmp_path / "a.mat", {"X": x})
    scipy.io.savemat(tmp_path / "t.mat", {"X": x.T.copy()})
    assert np.array_equal(read_binary_mat(tmp_path / "a.mat"), x)
    assert np.array_equal(read_binary_mat(tmp_path / "t.mat"), x)
    scipy.io.savemat(tmp_path / "k.mat", {"images": x})
    with pytest.raises(DataError, match="no variable X \\(variables present: images\\)"):
        read_binary_mat(tmp_path / "k.mat")


def test_mat_v73_and_garbage(tmp_path):
    # The 128-byte header of a MATLAB v7.3 (HDF5) file: text, subsystem offset, version 0x0200, "IM".
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, HDF5 schema 1.00 .".ljust(116) + b"\0" * 8
    (tmp_path / "v73.mat").write_bytes(header + b"\x00\x02IM" + b"\0" * 512)
    with pytest.raises(DataError, match="v7.3 \\(HDF5\\).*scipy cannot read"):
        read_binary_mat(tmp_path / "v73.mat")
    (tmp_path / "junk.mat").write_bytes(b"<html>not found</html>")
    with pytest.raises(DataError, match="cannot read .*junk.mat as a MATLAB file"):
        read_binary_mat(tmp_path / "junk.mat")


def test_binarized_mnist_mixed_formats_from_data_dir(tmp_path):
    folder = tmp_path / "data" / "binarized_mnist"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(4)
    xs = {s: rng.integers(0, 2, (n, 784)).astype(np.uint8) for s, n in (("train", 12), ("valid", 4), ("test", 5))}
    (folder / "binarized_mnist_train.amat").write_text(amat_text(xs["train"]))
    scipy.io.savemat(folder / "valid.mat", {"X": xs["valid"]})
    (folder / "binarized_mnist_test.amat").write_text(amat_text(xs["test"]))
    # Not the real data, so its checksums would not match: data.verify=false uses the files as they are.
    b = load_data(DataConfig(name="binarized-mnist", data_dir=str(tmp_path / "data"), verify=False))
    assert (b.kind, b.event_shape, len(b.train), len(b.valid), len(b.test)) == ("binary", (1, 28, 28), 12, 4, 5)
    assert np.array_equal(b.valid.x.numpy().reshape(4, 784), xs["valid"]) and b.train.y is None


def test_binarized_mnist_missing_offline(tmp_path):
    cfg = DataConfig(name="binarized-mnist", data_dir=str(tmp_path / "d"), download=False)
    with pytest.raises(DataError, match="binarized_mnist_train.amat not found.*train.mat, valid.mat, test.mat"):
        load_data(cfg)


# ---------------------------------------------------------------- Omniglot

def make_chardata(path: Path, n_train: int = 6, n_test: int = 4):
    """A chardata.mat laid out like the real one: MATLAB column-major images as columns."""
    rng = np.random.default_rng(5)
    imgs = {k: rng.random((n, 28, 28)) for k, n in (("data", n_train), ("testdata", n_test))}
    cols = {k: np.stack([im.flatten(order="F") for im in v], axis=1) for k, v in imgs.items()}  # (784, N)
    labels = {"target": np.arange(n_train) % 50, "testtarget": np.arange(n_test) % 50}
    onehot = {k: np.eye(50)[:, v] for k, v in labels.items()}  # (50, N)
    scipy.io.savemat(path, {**cols, **onehot})
    return imgs, cols, labels


def test_omniglot_layout_matches_iwae(tmp_path):
    imgs, cols, _ = make_chardata(tmp_path / "c.mat")
    ours = omniglot_images(cols["data"], tmp_path / "c.mat", "data")
    assert np.allclose(ours, imgs["data"])  # upright, as drawn
    iwae = cols["data"].T.reshape((-1, 28, 28)).reshape((-1, 28 * 28), order="F")  # yburda/iwae datasets.py
    assert np.allclose(ours.reshape(-1, 784), iwae)


def test_omniglot_loader(tmp_path):
    (tmp_path / "data" / "omniglot").mkdir(parents=True)
    imgs, _, labels = make_chardata(tmp_path / "data" / "omniglot" / "chardata.mat", 20, 4)
    b = load_data(DataConfig(name="omniglot", data_dir=str(tmp_path / "data"), valid_fraction=0.0, verify=False))
    assert (b.kind, b.event_shape, len(b.train), len(b.test)) == ("unit", (1, 28, 28), 20, 4)
    assert np.allclose(b.test.x.numpy()[:, 0], imgs["testdata"], atol=1e-6)
    assert b.train.y.tolist() == labels["target"].tolist()


# ---------------------------------------------------------------- the real data

@pytest.mark.shared_data
def test_real_binarized_mnist(tmp_path):
    if not (SHARED / "binarized_mnist").is_dir():
        pytest.skip(f"shared data not available: {SHARED.resolve() / 'binarized_mnist'} is absent")
    b = load_data(DataConfig(name="binarized-mnist", data_dir=str(SHARED)))  # verified: the .amat checksums
    assert len(list((tmp_path / "cache" / "verified").iterdir())) == 3  # remembered, not hashed again
    assert (len(b.train), len(b.valid), len(b.test)) == (50000, 10000, 10000)
    assert b.kind == "binary" and b.event_shape == (1, 28, 28)
    for split in (b.train, b.valid, b.test):
        assert set(np.unique(split.x.numpy()).tolist()) == {0, 1}
