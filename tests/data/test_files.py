"""Bring-your-own data: the `array` (.npy/.npz) and `images` (folder of pictures) datasets."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from tests.helpers import vaelab
from vaelab.config import DataConfig
from vaelab.data import load_data
from vaelab.data.files import infer_kind
from vaelab.errors import DataError


@pytest.fixture(autouse=True)
def no_env(tmp_path, monkeypatch):
    monkeypatch.setenv("VAELAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("VAELAB_DATA", raising=False)


def load(name, **options):
    return load_data(DataConfig(name=name, options=options))


# ---------------------------------------------------------------- array

def test_npz_with_labels_and_kind_inference(tmp_path):
    x = np.random.default_rng(0).integers(0, 2, (50, 6, 6))
    np.savez(tmp_path / "d.npz", x=x, y=np.arange(50) % 3)
    b = load("array", path=str(tmp_path / "d.npz"))
    assert (b.kind, b.event_shape, len(b.train) + len(b.valid) + len(b.test)) == ("binary", (6, 6), 50)
    assert b.train.y is not None
    assert infer_kind([np.array([0.2, 1.0])]) == "unit" and infer_kind([np.array([-1.0, 3.0])]) == "real"


def test_npy_event_shape_and_kind(tmp_path):
    np.save(tmp_path / "d.npy", np.random.default_rng(1).normal(size=(20, 12)).astype(np.float32))
    b = load("array", path=str(tmp_path / "d.npy"), event_shape=[3, 4])
    assert (b.kind, b.event_shape, b.train.y) == ("real", (3, 4), None)
    with pytest.raises(DataError, match="event_shape=\\[5, 5\\] holds 25 values but each example has 12"):
        load("array", path=str(tmp_path / "d.npy"), event_shape=[5, 5])


def test_separate_split_files_and_keys(tmp_path):
    rng = np.random.default_rng(2)
    for name, n in (("tr", 30), ("va", 5), ("te", 7)):
        np.savez(tmp_path / f"{name}.npz", images=rng.random((n, 4)), labels=np.zeros(n, dtype=int))
    b = load("array", path=str(tmp_path / "tr.npz"), valid_path=str(tmp_path / "va.npz"),
             test_path=str(tmp_path / "te.npz"), x_key="images", y_key="labels")
    assert (b.kind, len(b.train), len(b.valid), len(b.test)) == ("unit", 30, 5, 7)


def test_relative_path_from_data_dir(tmp_path):
    (tmp_path / "data").mkdir()
    np.save(tmp_path / "data" / "d.npy", np.zeros((10, 2)))
    b = load_data(DataConfig(name="array", data_dir=str(tmp_path / "data"), options={"path": "d.npy"}))
    assert b.event_shape == (2,)


def test_single_array_npz_is_x(tmp_path):
    np.savez(tmp_path / "d.npz", np.ones((10, 3)))
    assert load("array", path=str(tmp_path / "d.npz")).event_shape == (3,)


def test_array_errors(tmp_path):
    with pytest.raises(DataError, match="needs the option 'path'"):
        load("array")
    with pytest.raises(DataError, match="file not found: .*nope.npz"):
        load("array", path=str(tmp_path / "nope.npz"))
    np.savez(tmp_path / "d.npz", a=np.zeros((4, 2)), b=np.zeros(4))
    with pytest.raises(DataError, match="no array 'x' \\(arrays present: a, b\\)"):
        load("array", path=str(tmp_path / "d.npz"))
    with pytest.raises(DataError, match="no array 'lab' \\(arrays present: a, b\\)"):
        load("array", path=str(tmp_path / "d.npz"), x_key="a", y_key="lab")
    with pytest.raises(DataError, match="kind='tokens'"):
        load("array", path=str(tmp_path / "d.npz"), x_key="a", kind="tokens")
    (tmp_path / "d.csv").write_text("1,2\n")
    with pytest.raises(DataError, match="reads .npy or .npz"):
        load("array", path=str(tmp_path / "d.csv"))


def test_object_arrays_refused(tmp_path):
    np.save(tmp_path / "o.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="refused for safety"):
        load("array", path=str(tmp_path / "o.npy"))


def test_bad_labels_and_mismatched_splits(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.zeros((6, 4)), y=np.zeros(5, dtype=int))
    with pytest.raises(DataError, match="labels 'y' must be N=6 integers"):
        load("array", path=str(tmp_path / "d.npz"))
    np.save(tmp_path / "tr.npy", np.zeros((6, 4)))
    np.save(tmp_path / "te.npy", np.zeros((6, 5)))
    with pytest.raises(DataError, match="test examples have shape \\(5,\\)"):
        load("array", path=str(tmp_path / "tr.npy"), test_path=str(tmp_path / "te.npy"))


def test_declared_binary_but_not(tmp_path):
    np.save(tmp_path / "d.npy", np.full((10, 3), 2.0))
    with pytest.raises(DataError, match="declared binary"):
        load("array", path=str(tmp_path / "d.npy"), kind="binary")


# ---------------------------------------------------------------- images

def save_image(path, value, size=(10, 12), mode="L"):
    path.parent.mkdir(parents=True, exist_ok=True)
    color = value if mode == "L" else (value, 0, 255 - value)
    Image.new(mode, (size[1], size[0]), color).save(path)


def test_images_with_folder_labels(tmp_path):
    for i in range(3):
        save_image(tmp_path / "imgs" / "cat" / f"{i}.png", 255)
        save_image(tmp_path / "imgs" / "ant" / f"{i}.jpg", 0)
    (tmp_path / "imgs" / "notes.txt").write_text("not an image")
    b = load_data(DataConfig(name="images", options={"path": str(tmp_path / "imgs")},
                             valid_fraction=0.0, test_fraction=0.0))
    assert (b.kind, b.event_shape, len(b.train)) == ("unit", (1, 28, 28), 6)
    assert b.info["classes"] == ["ant", "cat"]
    # ant (label 0) images are black, cat (label 1) white
    assert b.train.y.tolist() == [0, 0, 0, 1, 1, 1]
    assert float(b.train.x[0].max()) == 0.0 and float(b.train.x[5].min()) == 1.0


def test_images_flat_folder_rgb(tmp_path):
    for i in range(4):
        save_image(tmp_path / "imgs" / f"{i}.bmp", 200, mode="RGB")
    b = load("images", path=str(tmp_path / "imgs"), size=[8, 6], grayscale=False)
    assert b.event_shape == (3, 8, 6) and b.train.y is None and "classes" not in b.info


def test_images_labels_none_recurses(tmp_path):
    for c in ("a", "b"):
        save_image(tmp_path / "imgs" / c / "x.gif", 10)
    b = load_data(DataConfig(name="images", options={"path": str(tmp_path / "imgs"), "labels": "none"},
                             valid_fraction=0.0, test_fraction=0.0))
    assert len(b.train) == 2 and b.train.y is None


def test_image_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no images found under"):
        load("images", path=str(tmp_path / "empty"))
    with pytest.raises(DataError, match="folder not found"):
        load("images", path=str(tmp_path / "missing"))
    with pytest.raises(DataError, match="labels=folders, but .* has no subfolders"):
        load("images", path=str(tmp_path / "empty"), labels="folders")
    with pytest.raises(DataError, match="size=\\[28\\]"):
        load("images", path=str(tmp_path / "empty"), size=[28])
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match="cannot read image .*x.png"):
        load("images", path=str(tmp_path / "bad"))


def test_images_of_mixed_sizes_and_modes_are_read_with_one_note(tmp_path):
    for i in range(4):
        save_image(tmp_path / "imgs" / f"{i}.png", 100)
    save_image(tmp_path / "imgs" / "wide.png", 200, size=(10, 40), mode="RGB")
    Image.new("RGBA", (12, 10), (255, 0, 0, 0)).save(tmp_path / "imgs" / "clear.png")
    with pytest.warns(UserWarning, match=r"^images: the 6 images under .* come in 2 sizes \(width x height 12x10: 5, "
                                         r"40x10: 1\), all resized to 28x28 \(data.options.size=\[28, 28\]\), which stretches .*; "
                                         r"and 3 modes \(L: 4, RGBA: 1, RGB: 1\), all converted to grayscale"):
        b = load_data(DataConfig(name="images", options={"path": str(tmp_path / "imgs")}, valid_fraction=0.0,
                                 test_fraction=0.0))
    assert b.event_shape == (1, 28, 28) and len(b.train) == 6


def test_images_of_one_size_and_mode_give_no_note(tmp_path, recwarn):
    for i in range(3):
        save_image(tmp_path / "imgs" / f"{i}.png", 100, size=(40, 40))
    load("images", path=str(tmp_path / "imgs"))
    assert not [w for w in recwarn if "images:" in str(w.message)]


def test_a_16_bit_image_is_scaled_not_clipped(tmp_path):
    (tmp_path / "imgs").mkdir()
    for i in range(3):
        Image.fromarray(np.full((8, 8), 32768, dtype=np.uint16)).save(tmp_path / "imgs" / f"{i}.png")
    assert Image.open(tmp_path / "imgs" / "0.png").mode == "I;16"
    for grayscale, channels in ((True, 1), (False, 3)):
        b = load_data(DataConfig(name="images", options={"path": str(tmp_path / "imgs"), "size": [8, 8],
                                                         "grayscale": grayscale}, valid_fraction=0.0, test_fraction=0.0))
        assert b.train.x.shape == (3, channels, 8, 8)
        assert torch.allclose(b.train.x, torch.full_like(b.train.x, 32768 / 65535))


@pytest.mark.filterwarnings("ignore:images")
@pytest.mark.parametrize("pixels", [900, 2500])  # PIL warns above the limit and raises above twice it: both refused
def test_a_decompression_bomb_is_one_line_naming_the_file_and_the_limit(tmp_path, pixels):
    for i in range(3):
        save_image(tmp_path / "imgs" / f"{i}.png", 0, size=(10, 10))
    side = int(pixels ** 0.5)
    save_image(tmp_path / "imgs" / "big.png", 0, size=(side, side))
    with pytest.raises(DataError, match=rf"^image .*big.png has {pixels:,} pixels, over the limit of 500 "
                                        r"\(data.options.max_pixels, a guard against decompression bombs\); if the "
                                        rf"image is genuine, raise the limit: --set data.options.max_pixels={pixels}$"):
        load("images", path=str(tmp_path / "imgs"), max_pixels=500)
    assert len(load("images", path=str(tmp_path / "imgs"), max_pixels=pixels).train) >= 2  # the raised limit reads it


def test_more_images_than_max_images_are_refused_before_reading(tmp_path):
    for i in range(3):
        save_image(tmp_path / "imgs" / f"{i}.png", 0)
    with pytest.raises(DataError, match=r"holds 3 images, more than data.options.max_images=2; raise the limit "
                                        r"\(--set data.options.max_images=3\)"):
        load("images", path=str(tmp_path / "imgs"), max_images=2)
    with pytest.raises(DataError, match=r"images option max_pixels=0: must be a positive whole number"):
        load("images", path=str(tmp_path / "imgs"), max_pixels=0)


def test_a_folder_with_one_image_is_too_small(tmp_path):
    save_image(tmp_path / "imgs" / "only.png", 0)
    with pytest.raises(DataError, match=r"^dataset 'images' is too small: its 1 example\(s\) split into 0/0/1"):
        load("images", path=str(tmp_path / "imgs"))


def test_bad_input_a_decompression_bomb_on_the_command_line(tmp_path):
    for i in range(3):
        save_image(tmp_path / "imgs" / f"{i}.png", 0, size=(10, 10))
    save_image(tmp_path / "imgs" / "big.png", 0, size=(40, 40))
    r = vaelab("train", "--data", "images", "--set", f"data.options.path={tmp_path / 'imgs'}", "--set",
               "data.options.max_pixels=1000", "--epochs", "1", "--no-progress", "--out", tmp_path / "run")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    expected = (f"error: image {tmp_path / 'imgs' / 'big.png'} has 1,600 pixels, over the limit of 1,000 "
                "(data.options.max_pixels, a guard against decompression bombs); if the image is genuine, raise the "
                "limit: --set data.options.max_pixels=1600")
    assert r.stderr.splitlines() == [expected]
