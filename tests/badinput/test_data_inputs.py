"""Bad data: arrays, image folders and SMILES files that cannot train a model say why in one line."""

import numpy as np
import pytest

from tests.helpers import QM9_FIXTURE
from tests.helpers.badinput import Case, assert_one_clean_line, cli

TRAIN = ["train", "--epochs", "1", "--no-progress", "--set", "train.batch_size=8"]


def _array(make, name="d.npz", *extra):
    """A case builder: ``make(tmp)`` writes the array file; train the ``array`` dataset on it (``extra`` flags)."""
    def build(tmp, run):
        path = tmp / name
        make(path)
        return [*TRAIN, "--data", "array", "--set", f"data.options.path={path}", *extra, "--out", tmp / "o"]
    return build


def _npz(**arrays):
    return lambda path: np.savez(path, **arrays)


def _bytes(content: bytes):
    return lambda path: path.write_bytes(content)


def _rand(n, d):
    return np.random.default_rng(0).random((n, d)).astype(np.float32)


def _with(x, index, value):
    x = x.copy()
    x[index] = value
    return x


def _images(make):
    """A case builder: ``make(folder)`` fills an image folder; train the ``images`` dataset on it."""
    def build(tmp, run):
        folder = tmp / "imgs"
        folder.mkdir()
        make(folder)
        return [*TRAIN, "--data", "images", "--set", f"data.options.path={folder}", "--set", "data.options.size=[8,8]",
                "--out", tmp / "o"]
    return build


def _pngs(n, size=(8, 8)):
    def make(folder):
        from PIL import Image

        for i in range(n):
            Image.fromarray((np.random.default_rng(i).random(size) * 255).astype(np.uint8)).save(folder / f"{i}.png")
    return make


def _bomb(folder):
    """A PNG of 30,000 x 30,000 pixels (900 M, past PIL's bomb limit) in a few hundred kB."""
    from PIL import Image

    Image.new("1", (30_000, 30_000)).save(folder / "bomb.png", optimize=True)
    _pngs(20)(folder)


def _smiles(text: bytes | str, name="m.smi"):
    """A case builder: train the ``smiles`` dataset on a file holding ``text``."""
    def build(tmp, run):
        path = tmp / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return [*TRAIN, "--data", "smiles", "--set", f"data.options.path={path}", "--out", tmp / "o"]
    return build


def _fixture_lines(n: int) -> list[str]:
    """The first ``n`` SMILES of the QM9 test fixture (a CSV: index, SMILES, properties)."""
    return [line.split(",")[1] for line in QM9_FIXTURE.read_text().splitlines()[1:n + 1]]


CASES = [
    Case("array-missing-file", lambda tmp, run: [*TRAIN, "--data", "array", "--set", f"data.options.path={tmp}/no.npz",
                                                 "--out", tmp / "o"], "not found"),
    Case("array-text-file", _array(_bytes(b"1,2,3\n"), name="d.csv"), ".npz"),
    Case("array-garbage-npz", _array(_bytes(b"PK\x03\x04 garbage")), "d.npz"),
    Case("array-pickled", _array(lambda p: np.save(p, np.array([{"a": 1}], dtype=object)), name="d.npy"), "pickled"),
    Case("array-strings", _array(_npz(x=np.array([["a", "b"]] * 50))), "dtype"),
    Case("array-no-x-key", _array(_npz(a=_rand(50, 4), b=_rand(50, 4))), "x_key"),
    Case("array-one-example", _array(_npz(x=_rand(1, 4))), "example"),
    Case("array-zero-features", _array(_npz(x=np.zeros((50, 0), np.float32))), "feature"),
    Case("array-zero-examples", _array(_npz(x=np.zeros((0, 5), np.float32))), "example"),
    Case("array-scalar", _array(_npz(x=np.float32(3.0))), "d.npz"),
    Case("array-nan", _array(_npz(x=_with(_rand(50, 4), (3, 2), np.nan))), "NaN"),
    Case("array-inf", _array(_npz(x=_with(_rand(50, 4), (7, 1), np.inf))), "Inf"),
    Case("array-labels-wrong-length", _array(_npz(x=_rand(50, 4), y=np.zeros(49, np.int64))), "labels"),
    Case("array-labels-float", _array(_npz(x=_rand(50, 4), y=np.linspace(0, 1, 50))), "labels"),
    Case("array-negative-labels-cvae", _array(_npz(x=_rand(50, 4), y=np.arange(50) % 3 - 1), "d.npz", "--model", "cvae"),
         "label"),
    Case("array-bad-event-shape", _array(_npz(x=_rand(50, 6)), "d.npz", "--set", "data.options.event_shape=[4,4]"),
         "event_shape"),
    Case("images-missing-folder", lambda tmp, run: [*TRAIN, "--data", "images", "--set",
                                                    f"data.options.path={tmp}/nope", "--out", tmp / "o"], "not found"),
    Case("images-empty-folder", _images(lambda folder: None), "no images"),
    Case("images-one-image", _images(_pngs(1)), "image"),
    Case("images-corrupt-png", _images(lambda f: (_pngs(20)(f), (f / "bad.png").write_bytes(b"\x89PNG junk"))),
         "bad.png"),
    Case("images-decompression-bomb", _images(_bomb), "bomb.png"),
    Case("smiles-missing-file", lambda tmp, run: [*TRAIN, "--data", "smiles", "--set", f"data.options.path={tmp}/no.smi",
                                                  "--out", tmp / "o"], "no.smi"),
    Case("smiles-empty-file", _smiles(""), "m.smi"),
    Case("smiles-all-invalid", _smiles("not a molecule\nC1CC\n(((\n" * 20), "valid"),
    Case("smiles-binary", _smiles(bytes(range(256)) * 8), "m.smi"),
    Case("smiles-one-molecule", _smiles("CCO\n"), "m.smi"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_data_is_one_clean_line(case, tmp_path, protected_run, capsys):
    pytest.importorskip("PIL")
    if case.id.startswith("smiles"):
        pytest.importorskip("rdkit")
    code, err = cli(capsys, case.build(tmp_path, protected_run))
    assert_one_clean_line(code, err, case.code, case.needle)
    assert not (tmp_path / "o" / "checkpoints").exists()


def test_a_smiles_file_mixing_valid_and_invalid_lines_trains_and_says_what_it_skipped(tmp_path, capsys):
    pytest.importorskip("rdkit")
    lines = _fixture_lines(120)
    mixed = lines[:40] + ["not a molecule", "", "C1CC"] + lines[40:]
    path = tmp_path / "mixed.smi"
    path.write_text("\n".join(mixed) + "\n")
    code, err = cli(capsys, [*TRAIN, "--data", "smiles", "--set", f"data.options.path={path}",
                             "--set", "model.seq_hidden=16", "--set", "model.latent_dim=4", "--out", tmp_path / "o"])
    assert code == 0, err
    assert "skipped" in err.lower() or "invalid" in err.lower(), err
