"""The run directory's layout and the fit store: record written last, one invalidation rule, clear errors."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from vaelab.errors import CheckpointError
from vaelab.rundir import FitFolder, FitMismatch, RunLayout, checkpoint_stamp
from vaelab.rundir.layout import ARRAYS, arrays_file


def test_layout_names_every_file_under_the_root(tmp_path):
    lay = RunLayout(tmp_path)
    assert lay.config == tmp_path / "config.yaml" and lay.metrics == tmp_path / "metrics.jsonl"
    assert lay.summary == tmp_path / "summary.json" and lay.diagnostics == tmp_path / "diagnostics.json"
    assert lay.arrays("posterior_test") == tmp_path / "arrays" / "posterior_test.npz"
    assert lay.plot("bubbles") == tmp_path / "plots" / "bubbles.png"
    assert lay.sampler("gmm") == tmp_path / "samplers" / "gmm" and lay.lso("qed") == tmp_path / "lso" / "qed"
    assert arrays_file("lattice") == f"{ARRAYS}/lattice.npz"
    assert not lay.is_run()
    lay.config.write_text("{}")
    assert lay.is_run()


def _run(checkpoint="epoch_0003", epoch=3):
    return SimpleNamespace(checkpoint=checkpoint, meta={"epoch": epoch, "step": 30 * epoch})


def _store(tmp_path) -> FitFolder:
    return FitFolder(tmp_path / "fit", "fit.json", "the thing", "pass --refit to fit it again")


def test_a_fit_round_trips_and_its_record_is_written_last(tmp_path):
    store = _store(tmp_path)
    assert store.read_record() is None
    store.begin()
    store.save_arrays("a.safetensors", {"w": np.arange(6.0).reshape(2, 3)})
    store.save_arrays("b.safetensors", {"t": torch.ones(4)})
    assert store.read_record() is None  # arrays alone are an unfinished fit
    store.finish({"options": {"k": 2}, **checkpoint_stamp(_run())})
    assert store.read_record()["checkpoint_epoch"] == 3
    np.testing.assert_array_equal(store.load_arrays("a.safetensors", "np")["w"], np.arange(6.0).reshape(2, 3))
    torch.testing.assert_close(store.load_arrays("b.safetensors")["t"], torch.ones(4))


def test_one_invalidation_rule_options_and_checkpoint(tmp_path):
    store = _store(tmp_path)
    store.begin()
    record = store.finish({"options": {"k": 2, "dims": (0, 1)}, "max_train": 10, **checkpoint_stamp(_run())})
    store.check(record, {"k": 2, "dims": [0, 1]}, _run(), max_train=10)  # tuples and lists compare as stored
    with pytest.raises(FitMismatch, match=r"other options: k=2 \(asked 3\); pass --refit"):
        store.check(record, {"k": 3, "dims": [0, 1]}, _run(), max_train=10)
    with pytest.raises(FitMismatch, match=r"max_train=10 \(asked 20\)"):
        store.check(record, {"k": 2, "dims": [0, 1]}, _run(), max_train=20)
    with pytest.raises(FitMismatch, match=r"checkpoint epoch_0003 \(epoch 3\), but the run is loaded at epoch_0005"):
        store.check(record, {"k": 2, "dims": [0, 1]}, _run("epoch_0005", 5), max_train=10)


def test_damaged_or_missing_files_name_the_fix(tmp_path):
    store = _store(tmp_path)
    store.begin()
    store.record_path.write_text("{not json")
    with pytest.raises(CheckpointError, match="damaged; pass --refit"):
        store.read_record()
    store.record_path.write_text('{"no": "options"}')
    with pytest.raises(CheckpointError, match="damaged"):
        store.read_record()
    assert store.read_record(needs=None) == {"no": "options"}
    (store.folder / "a.safetensors").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="the thing: .*a.safetensors' is missing or unreadable.*pass --refit"):
        store.load_arrays("a.safetensors")


def test_begin_keeps_the_folder_or_starts_afresh(tmp_path):
    store = _store(tmp_path)
    store.begin()
    (store.folder / "result.json").write_text("{}")
    store.finish({"options": {}})
    store.begin(fresh=False)  # a refit beside earlier results: only the record goes
    assert (store.folder / "result.json").is_file() and store.read_record() is None
    store.begin()
    assert list(store.folder.iterdir()) == []


def test_each_split_has_its_own_diagnostics_file(tmp_path):
    from vaelab.rundir.layout import DIAGNOSTICS, diagnostics_file, split_file

    lay = RunLayout(tmp_path)
    assert lay.diagnostics_of("test") == lay.diagnostics == tmp_path / "diagnostics.json"  # the name it always had
    assert lay.diagnostics_of("valid") == tmp_path / "diagnostics-valid.json"
    assert diagnostics_file("train") == "diagnostics-train.json"
    assert split_file(DIAGNOSTICS, "valid") == "diagnostics-valid.json"
    assert split_file(arrays_file("posterior_{split}"), "valid") == "arrays/posterior_valid.npz"


def test_writers_stay_in_their_own_run_and_out_of_the_training_files(tmp_path):
    from vaelab.errors import VaelabError
    from vaelab.rundir.layout import check_writable_in, owning_run

    own, other = tmp_path / "own", tmp_path / "other"
    for run in (own, other):
        run.mkdir()
        RunLayout(run).config.write_text("{}")
    (own / "linked").symlink_to(other)
    assert owning_run(own / "plots" / "x.png") == own.resolve() and owning_run(tmp_path / "elsewhere") is None
    assert owning_run(own / "linked" / "samples") == other.resolve()  # through the link
    check_writable_in(own, own / "samples")
    check_writable_in(own, tmp_path / "elsewhere")
    for target, message in [(other / "samples", "another run's files"), (own / "linked", "another run's files"),
                            (own / "checkpoints", "training writes"), (own / "config.yaml", "training writes")]:
        with pytest.raises(VaelabError, match=message):
            check_writable_in(own, target)


def test_a_fit_published_whole_keeps_the_first_and_replaces_a_damaged_one(tmp_path, monkeypatch):
    from vaelab.rundir import fits

    store = FitFolder(tmp_path / "net", "info.json", "the net", "delete it")
    first, real, calls = {"w.safetensors": {"w": torch.ones(2)}}, fits.save_safetensors, []

    def save_while_another_publishes(path, tensors):  # another process publishes while this one is writing
        calls.append(path)
        if len(calls) == 1:
            FitFolder(tmp_path / "net", "info.json", "the net", "delete it").publish(first, {"by": "first"})
        real(path, tensors)

    monkeypatch.setattr(fits, "save_safetensors", save_while_another_publishes)
    assert store.publish({"w.safetensors": {"w": torch.zeros(2)}}, {"by": "second"}) is False
    assert store.read_record(needs=None) == {"by": "first"}
    assert torch.equal(store.load_arrays("w.safetensors")["w"], torch.ones(2))
    store.record_path.unlink()  # damaged: a folder without its record
    assert store.publish({"w.safetensors": {"w": torch.zeros(2)}}, {"by": "third"}) is True
    assert store.read_record(needs=None) == {"by": "third"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net"]  # no temporary or stale folder left
