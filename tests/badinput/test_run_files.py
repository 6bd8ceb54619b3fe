"""Damaged run directories: each reader names the corrupt file, and nothing is followed outside the run."""

import json

import pytest

from tests.helpers.badinput import Case, assert_one_clean_line, cli, copy_run


def _damaged(edit, *command):
    """A case builder: copy the run, ``edit(copy)``, then run ``COMMAND COPY`` (``train --resume`` for 'resume')."""
    def build(tmp, run):
        copy = copy_run(run, tmp)
        edit(copy)
        if command[0] == "resume":
            return ["train", "--resume", copy, "--epochs", "3", "--no-progress"]
        return [command[0], copy, *command[1:], "--no-progress"]
    return build


def _checkpoint(run):
    return next((run / "checkpoints").glob("epoch_*"))


def _write(rel: str, content: bytes | str):
    def edit(run):
        (run / rel).write_bytes(content if isinstance(content, bytes) else content.encode())
    return edit


def _weights(data: bytes | None = None, cut: int | None = None):
    def edit(run):
        path = _checkpoint(run) / "model.safetensors"
        path.write_bytes(data if data is not None else path.read_bytes()[:cut])
    return edit


def _nan_weights(run):
    from safetensors.torch import load_file, save_file

    path = _checkpoint(run) / "model.safetensors"
    tensors = load_file(path)
    name = sorted(tensors)[0]
    tensors[name].view(-1)[0] = float("nan")
    save_file(tensors, path)


def _pointer(value):
    def edit(run):
        (run / "checkpoints" / "latest.json").write_text(value if isinstance(value, str) else json.dumps(value))
    return edit


def _trainer_state(**fields):
    def edit(run):
        import torch

        path = _checkpoint(run) / "trainer.pt"
        state = torch.load(path, weights_only=True)
        state["loop"].update(fields)
        torch.save(state, path)
    return edit


def _pickled_trainer_state(run):
    import pickle

    class Boom:
        def __reduce__(self):
            return (print, ("this must never run",))

    (_checkpoint(run) / "trainer.pt").write_bytes(pickle.dumps({"epoch": Boom()}))


def _remove(rel: str):
    def edit(run):
        import shutil

        target = run / rel
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    return edit


def _first(path_glob: str, content: bytes):
    def edit(run):
        next(run.glob(path_glob)).write_bytes(content)
    return edit


CASES = [
    Case("config-binary", _damaged(_write("config.yaml", bytes(range(256))), "evaluate"), "config.yaml"),
    Case("config-not-a-mapping", _damaged(_write("config.yaml", "- a\n"), "evaluate"), "config.yaml"),
    Case("config-unknown-key", _damaged(_write("config.yaml", "modle: {}\n"), "evaluate"), "config.yaml"),
    Case("config-missing", _damaged(_remove("config.yaml"), "evaluate"), "config.yaml"),
    Case("config-binary-resume", _damaged(_write("config.yaml", bytes(range(256))), "resume"), "config.yaml"),
    # curves read metrics.jsonl only; the damaged config is still named
    Case("config-binary-plot-curves", _damaged(_write("config.yaml", bytes(range(256))), "plot", "--kind", "curves"),
         "config.yaml"),
    Case("config-unknown-key-plot-curves", _damaged(_write("config.yaml", "modle: {}\n"), "plot", "--kind", "curves"),
         "config.yaml"),
    Case("weights-truncated", _damaged(_weights(cut=100), "evaluate"), "corrupt"),
    Case("weights-garbage", _damaged(_weights(data=b"\x00" * 64), "evaluate"), "corrupt"),
    Case("weights-empty", _damaged(_weights(data=b""), "evaluate"), "corrupt"),
    Case("weights-nan", _damaged(_nan_weights, "evaluate"), "NaN"),
    Case("weights-nan-sample", _damaged(_nan_weights, "sample"), "NaN"),
    Case("weights-truncated-resume", _damaged(_weights(cut=100), "resume"), "corrupt"),
    Case("pointer-escapes-the-run", _damaged(_pointer({"last": "../../etc", "best": "../../etc"}), "evaluate"),
         "latest.json"),
    Case("pointer-garbage", _damaged(_pointer("{not json"), "evaluate"), "latest.json"),
    Case("pointer-to-a-missing-folder", _damaged(_pointer({"last": "epoch_0099", "best": "epoch_0099"}), "evaluate"),
         "epoch_0099"),
    Case("checkpoints-folder-gone", _damaged(_remove("checkpoints"), "evaluate"), "checkpoint"),
    Case("trainer-state-wrong-type", _damaged(_trainer_state(epoch="two"), "resume"), "epoch"),
    Case("trainer-state-negative-epoch", _damaged(_trainer_state(epoch=-3), "resume"), "epoch"),
    Case("trainer-state-pickle", _damaged(_pickled_trainer_state, "resume"), "trainer.pt"),
    Case("trainer-state-garbage", _damaged(_first("checkpoints/epoch_*/trainer.pt", b"garbage"), "resume"),
         "trainer.pt"),
    Case("metrics-garbage-plot", _damaged(_write("metrics.jsonl", "garbage\nmore garbage\n"), "plot", "--kind",
                                          "curves"), "metrics.jsonl"),
    Case("metrics-binary-plot", _damaged(_write("metrics.jsonl", bytes(range(256))), "plot", "--kind", "curves"),
         "metrics.jsonl"),
    Case("figure-array-corrupt", _damaged(_first("arrays/*.npz", b"not an npz"), "plot", "--kind", "bubbles"),
         "posterior_test"),
    Case("sampler-fit-corrupt", _damaged(_first("samplers/gmm/params.safetensors", b"junk"), "sample", "--sampler",
                                         "gmm"), "gmm"),
    Case("sampler-record-corrupt", _damaged(_first("samplers/gmm/sampler.json", b"{junk"), "sample", "--sampler",
                                            "gmm"), "sampler.json"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_damaged_run_is_named_in_one_line(case, tmp_path, protected_run, capsys):
    code, err = cli(capsys, case.build(tmp_path, protected_run))
    assert_one_clean_line(code, err, case.code, case.needle)
    assert "this must never run" not in capsys.readouterr().out
