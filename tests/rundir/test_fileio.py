"""Crash-safe IO: a torn JSONL line costs that line only; damaged files are named; outputs checked and published whole."""

import json
import re

import pytest

from vaelab.fileio import append_jsonl, read_jsonl, truncate_jsonl


def test_a_torn_first_line_drops_nothing_else(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"epoch": 1, "lo' + "\n" + json.dumps({"epoch": 2}) + "\n" + json.dumps({"epoch": 3}) + "\n")
    assert [r["epoch"] for r in read_jsonl(path)] == [2, 3]
    truncate_jsonl(path, lambda r: r["epoch"] <= 2)
    assert [r["epoch"] for r in read_jsonl(path)] == [2]


def test_an_append_after_a_kill_mid_line_starts_a_new_line(tmp_path):
    path = tmp_path / "metrics.jsonl"
    append_jsonl(path, {"epoch": 1})
    with open(path, "a") as fh:
        fh.write('{"epoch": 2, "valid_lo')  # the kill came mid-write: no newline
    append_jsonl(path, {"epoch": 2, "valid_loss": 1.5})
    assert read_jsonl(path) == [{"epoch": 1}, {"epoch": 2, "valid_loss": 1.5}]
    assert path.read_text().count("\n") == 3


def test_lines_that_are_not_objects_are_skipped_with_a_warning(tmp_path):
    import pytest

    path = tmp_path / "m.jsonl"
    path.write_bytes(b'[1, 2]\n\xff\xfe\n{"epoch": 4}\n')
    with pytest.warns(UserWarning, match=r"m.jsonl: 2 line\(s\) that are not records skipped"):
        assert read_jsonl(path) == [{"epoch": 4}]


def test_the_checkpoint_pointer_may_only_name_a_checkpoint_of_the_run(tmp_path):
    import pytest

    from vaelab.errors import CheckpointError
    from vaelab.rundir.checkpoint import checkpoint_dir

    (tmp_path / "epoch_0002").mkdir()
    (tmp_path / "latest.json").write_text(json.dumps({"last": "epoch_0002", "best": "../../etc"}))
    assert checkpoint_dir(tmp_path, "last") == tmp_path / "epoch_0002"
    with pytest.raises(CheckpointError, match="latest.json' is corrupt .*not a checkpoint folder"):
        checkpoint_dir(tmp_path, "best")


def test_saving_an_epoch_again_replaces_it_and_cleans_what_kills_left(tmp_path):
    import torch

    from vaelab.rundir.checkpoint import checkpoint_dir, load_weights, save_checkpoint

    model = torch.nn.Linear(2, 2)
    save_checkpoint(tmp_path, "epoch_0001", model, {"epoch": 1}, {"kind": "real"}, None)
    (tmp_path / ".latest.json.abc.tmp").write_text("{")  # a write killed before its rename
    with torch.no_grad():
        model.weight.fill_(3.0)
    save_checkpoint(tmp_path, "epoch_0001", model, {"epoch": 1}, {"kind": "real"}, None)
    weights, _ = load_weights(checkpoint_dir(tmp_path, "last"))
    assert float(weights["weight"][0, 0]) == 3.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["epoch_0001", "latest.json"]


def test_a_checkpoint_with_nan_weights_is_refused_by_name(tmp_path):
    import pytest
    import torch

    from vaelab.errors import CheckpointError
    from vaelab.rundir.checkpoint import load_weights, save_checkpoint

    model = torch.nn.Linear(2, 2)
    with torch.no_grad():
        model.bias[1] = float("nan")
    folder = save_checkpoint(tmp_path, "epoch_0001", model, {}, {}, None)
    with pytest.raises(CheckpointError, match=r"hold NaN or Inf in 'bias'"):
        load_weights(folder)


@pytest.mark.parametrize("loop, needle", [({"epoch": -1}, "epoch=-1 must be a whole number >= 0"),
                                          ({"epoch": "3"}, "epoch='3'"), ({"best_name": "../x"}, "best_name"),
                                          ({"elapsed_s": float("nan")}, "elapsed_s"), ({"extra": 1}, "extra"),
                                          ({"stopped_early": "yes"}, "stopped_early")])
def test_trainer_state_fields_are_type_and_range_checked(loop, needle):
    from vaelab.errors import CheckpointError
    from vaelab.training.trainer import TrainState

    with pytest.raises(CheckpointError, match=re.escape(needle)):
        TrainState.checked(loop, "ckpt")
    assert TrainState.checked({"epoch": 3, "best_name": "epoch_0002"}, "ckpt").epoch == 3


def test_a_reader_follows_the_pointer_when_training_prunes_the_checkpoint_it_was_reading(tmp_path, monkeypatch):
    import torch

    from vaelab.rundir import checkpoint as ckpt

    model = torch.nn.Linear(2, 2)
    ckpt.save_checkpoint(tmp_path, "epoch_0001", model, {}, {"kind": "real"}, None)
    real_load = ckpt.load_weights
    calls = []

    def racing_load(folder):
        calls.append(folder.name)
        if len(calls) == 1:  # training saves epoch 2 and prunes epoch 1 under the reader's feet
            ckpt.save_checkpoint(tmp_path, "epoch_0002", model, {}, {"kind": "real"}, None)
        return real_load(folder)

    monkeypatch.setattr(ckpt, "load_weights", racing_load)
    folder, weights, meta = ckpt.read_checkpoint(tmp_path, "last")
    assert calls == ["epoch_0001", "epoch_0002"] and folder.name == "epoch_0002"
    assert set(weights) == {"weight", "bias"} and meta == {"kind": "real"}


def test_a_resave_killed_between_its_two_renames_still_finds_the_old_folder(tmp_path):
    import torch

    from vaelab.rundir.checkpoint import checkpoint_dir, load_weights, save_checkpoint

    save_checkpoint(tmp_path, "epoch_0001", torch.nn.Linear(2, 2), {}, {}, None)
    (tmp_path / "epoch_0001").rename(tmp_path / ".old-epoch_0001-999")  # the first rename happened, not the second
    folder = checkpoint_dir(tmp_path, "last")
    assert folder.name == ".old-epoch_0001-999"
    assert set(load_weights(folder)[0]) == {"weight", "bias"}


def test_a_file_of_no_records_at_all_is_damaged_but_a_torn_first_record_is_not(tmp_path):
    from vaelab.errors import DamagedFile

    path = tmp_path / "metrics.jsonl"
    path.write_bytes(b"garbage\n\x00\xff\n")
    with pytest.raises(DamagedFile, match=r"metrics.jsonl' is damaged or not a .jsonl file \(line 1 is not a JSON"):
        read_jsonl(path)
    path.write_text('{"epoch": 1, "torn')  # killed during the first append
    assert read_jsonl(path) == []


@pytest.mark.parametrize("name,content,detail", [("a.npz", b"junk", "not a NumPy .npz archive"),
                                                  ("a.npz", b"PK\x03\x04junk", "not a NumPy .npz archive"),
                                                  ("d.json", b'{"au": ', "Expecting value"),
                                                  ("d.json", b"\xff\xfe", "utf-8")])
def test_damaged_arrays_and_records_are_named(tmp_path, name, content, detail):
    from vaelab.errors import DamagedFile
    from vaelab.fileio import load_npz, read_json

    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DamagedFile, match=re.escape(f"'{path}' is damaged or not a {path.suffix} file")) as err:
        (load_npz if name.endswith(".npz") else read_json)(path)
    assert detail in str(err.value) and err.value.path == path


def test_a_write_that_fails_names_the_file_not_its_temporary(tmp_path, monkeypatch):
    import errno
    import os

    from vaelab.fileio import atomic_write_text

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device", args[0])

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OSError) as err:
        atomic_write_text(tmp_path / "diagnostics.json", "{}")
    assert err.value.filename == str(tmp_path / "diagnostics.json") and err.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []  # the temporary file is gone


def test_output_paths_are_checked_before_any_work(tmp_path):
    import errno

    from vaelab.errors import VaelabError
    from vaelab.fileio import out_file, out_folder

    (tmp_path / "f").write_text("x")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    (tmp_path / "target.html").write_text("old")
    (tmp_path / "link.html").symlink_to(tmp_path / "target.html")
    assert out_folder(tmp_path / "new" / "deep").is_dir()
    assert out_file(tmp_path / "link.html") == tmp_path / "target.html"  # the link is followed, not replaced
    for bad, message in [(tmp_path / "f", "is a file, not a folder"), (tmp_path / "f" / "sub", "is a file"),
                         (tmp_path / "dangling", "symbolic link to"), (tmp_path / "dangling" / "x", "symbolic link")]:
        with pytest.raises(VaelabError, match=message):
            out_folder(bad)
    with pytest.raises(VaelabError, match="symbolic link"):
        out_file(tmp_path / "dangling")
    with pytest.raises(OSError) as err:
        out_file(tmp_path / ("n" * 300 + ".html"))
    assert err.value.errno == errno.ENAMETOOLONG and str(tmp_path) in err.value.filename


def test_publishing_a_folder_keeps_a_complete_one_and_cleans_up(tmp_path):
    from vaelab.fileio import publish_folder

    folder = tmp_path / "cache" / "key"

    def fill(text):
        return lambda tmp: (tmp / "data.txt").write_text(text)

    assert publish_folder(folder, fill("first"), complete=lambda f: (f / "data.txt").is_file())
    assert not publish_folder(folder, fill("second"), complete=lambda f: (f / "data.txt").is_file())
    assert (folder / "data.txt").read_text() == "first"
    assert publish_folder(folder, fill("third"), complete=lambda f: False)  # an incomplete one is replaced
    assert (folder / "data.txt").read_text() == "third" and [p.name for p in folder.parent.iterdir()] == ["key"]
