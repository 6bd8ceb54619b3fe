import json
import signal
import subprocess
import sys
import time

import pytest
import torch
from safetensors.torch import load_file

import vaelab
from vaelab.errors import TrainingDiverged
from vaelab.fileio import read_jsonl
from vaelab.training import Trainer
from tests.helpers import tiny_config


def _weights(run_dir, which="last"):
    pointer = json.loads((run_dir / "checkpoints" / "latest.json").read_text())
    return load_file(run_dir / "checkpoints" / pointer[which] / "model.safetensors")


def _assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_run_directory_is_complete(tmp_path):
    run = vaelab.train(tiny_config(), out=tmp_path / "r")
    names = {p.name for p in run.path.iterdir()}
    assert {"config.yaml", "metrics.jsonl", "checkpoints", "summary.json"} <= names
    s = run.summary
    assert s["status"] == "completed" and s["epochs_completed"] == 2
    assert {"seed", "device", "wall_time_s", "versions", "final"} <= set(s)
    records = read_jsonl(run.path / "metrics.jsonl")
    assert [r["epoch"] for r in records] == [1, 2]
    assert {"train_loss", "train_rec", "train_kl", "valid_neg_elbo"} <= set(records[0])


def test_same_seed_gives_identical_results(tmp_path):
    a = vaelab.train(tiny_config(), out=tmp_path / "a")
    b = vaelab.train(tiny_config(), out=tmp_path / "b")
    _assert_same_weights(_weights(a.path), _weights(b.path))
    strip = lambda rs: [{k: v for k, v in r.items() if k != "epoch_time_s"} for r in rs]  # noqa: E731
    assert strip(a.metrics()) == strip(b.metrics())
    c = vaelab.train(tiny_config(seed=1), out=tmp_path / "c")
    assert not torch.equal(_weights(a.path)["encoder.layers.0.weight"], _weights(c.path)["encoder.layers.0.weight"])


@pytest.mark.parametrize("extra", [{}, {"batch_norm": True}])
def test_resume_continues_exactly(tmp_path, extra):
    cfg = tiny_config(epochs=4)
    cfg["model"].update(extra)
    cfg["kl_schedule"] = {"kind": "linear", "start": 0.0, "end": 1.0, "epochs": 3}
    straight = vaelab.train(cfg, out=tmp_path / "straight")
    first = vaelab.train({**cfg, "train": {**cfg["train"], "epochs": 2}}, out=tmp_path / "split")
    resumed = vaelab.train(out=first.path, resume=True, epochs=4)
    _assert_same_weights(_weights(straight.path), _weights(resumed.path))
    assert [r["valid_neg_elbo"] for r in straight.metrics()] == [r["valid_neg_elbo"] for r in resumed.metrics()]


def test_resume_after_sigkill_matches_straight_run(tmp_path):
    cfg = tiny_config(epochs=5)
    cfg["data"]["options"] = {"n": 10000, "dim": 64}
    cfg["train"]["batch_size"] = 20
    straight = vaelab.train(cfg, out=tmp_path / "straight")
    import yaml

    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(cfg))
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "vaelab", "train", str(tmp_path / "cfg.yaml"), "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (out / "checkpoints" / "epoch_0002").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = json.loads((out / "checkpoints" / "latest.json").read_text())["last"]
    assert done != "epoch_0005", "the run finished before it could be killed; make it longer"
    resumed = vaelab.train(out=out, resume=True)
    assert resumed.summary["epochs_completed"] == 5
    _assert_same_weights(_weights(straight.path), _weights(resumed.path))
    assert [r["epoch"] for r in resumed.metrics()] == [1, 2, 3, 4, 5]


def test_nan_loss_stops_with_epoch_and_step_and_keeps_last_good_checkpoint(tmp_path, monkeypatch):
    original = Trainer._batch
    calls = {"n": 0}

    def poisoned(self, idx):
        calls["n"] += 1
        xb, side = original(self, idx)
        if calls["n"] == 1 + 10 + 3:  # after the names probe: epoch 2 (480 examples, batch 50: 10 steps/epoch), step 3
            xb = xb * float("nan")
        return xb, side

    monkeypatch.setattr(Trainer, "_batch", poisoned)
    cfg = tiny_config(epochs=4, log_every=1)
    with pytest.raises(TrainingDiverged, match=r"epoch 2, step 3"):
        vaelab.train(cfg, out=tmp_path / "r")
    pointer = json.loads((tmp_path / "r" / "checkpoints" / "latest.json").read_text())
    assert pointer["last"] == "epoch_0001"
    weights = load_file(tmp_path / "r" / "checkpoints" / "epoch_0001" / "model.safetensors")
    assert all(torch.isfinite(w).all() for w in weights.values())
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["status"] == "diverged" and "epoch 2, step 3" in summary["error"]


def test_early_stopping_and_best_checkpoint(tmp_path):
    cfg = tiny_config(epochs=30, early_stopping=1)
    cfg["optim"] = {"lr": 0.05}  # noisy enough that validation stops improving early
    run = vaelab.train(cfg, out=tmp_path / "r")
    s = run.summary
    assert s["status"] == "early-stopped" and s["epochs_completed"] < 30
    records = run.metrics()
    best = min(records, key=lambda r: r["valid_loss"])
    assert s["best"]["checkpoint"] == f"epoch_{best['epoch']:04d}"
    assert run.checkpoint == s["best"]["checkpoint"]


def test_existing_run_dir_is_not_overwritten(tmp_path):
    vaelab.train(tiny_config(epochs=1), out=tmp_path / "r")
    with pytest.raises(vaelab.VaelabError, match="already exists"):
        vaelab.train(tiny_config(epochs=1), out=tmp_path / "r")


def test_compiled_training_with_a_partial_last_batch(tmp_path):
    # 424 training examples, batch 50: 8 full batches and one of 24, which must not reuse the full-batch graph.
    cfg = tiny_config(epochs=3, compile=True)
    cfg["data"]["options"] = {"n": 530, "dim": 32}
    run = vaelab.train(cfg, out=tmp_path / "r")
    records = run.metrics()
    assert len(records) == 3 and all(torch.isfinite(torch.tensor(r["train_loss"])) for r in records)
    assert records[-1]["train_neg_elbo"] < records[0]["train_neg_elbo"]


def test_two_default_run_directories_of_the_same_second_do_not_collide(tmp_path):
    from vaelab.training.session import claim_dir

    first, second = claim_dir(tmp_path / "runs" / "vae-x-1"), claim_dir(tmp_path / "runs" / "vae-x-1")
    assert first.name == "vae-x-1" and second.name == "vae-x-1-2" and first.is_dir() and second.is_dir()


def test_relative_data_paths_are_stored_absolute(tmp_path, monkeypatch):
    import numpy as np

    import vaelab

    monkeypatch.chdir(tmp_path)
    np.save("x.npy", np.random.default_rng(0).random((200, 6)).astype(np.float32))
    run = vaelab.train(data="array", epochs=1, latent_dim=2, overrides=["data.options.path=x.npy",
                                                                        "model.hidden=[8]", "train.progress=false"],
                       out=tmp_path / "run")
    assert run.config.data.options["path"] == str(tmp_path / "x.npy")


@pytest.mark.parametrize("model", [{"batch_norm": True}, {"name": "bn-vae", "posterior": "bn-gaussian"},
                                   {"name": "wae-mmd"}])
def test_batch_statistics_leave_out_a_last_batch_of_one_example_and_say_so(tmp_path, model):
    """480 training examples in batches of 479: torch's batch norm refuses a batch of one, and an MMD needs two
    codes (both were internal errors)."""
    cfg = tiny_config(epochs=2, batch_size=479)
    cfg["model"].update(model)
    with pytest.warns(UserWarning, match=r"the last batch of each epoch \(1 of 480 training examples\) is left out"):
        run = vaelab.train(cfg, out=tmp_path / "run")
    rows = read_jsonl(run.path / "metrics.jsonl")
    assert [r["epoch"] for r in rows] == [1, 2] and all(torch.isfinite(torch.tensor(r["train_loss"])) for r in rows)


def test_without_batch_statistics_a_last_batch_of_one_example_trains(tmp_path):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        run = vaelab.train(tiny_config(epochs=1, batch_size=479), out=tmp_path / "run")
    assert run.summary["status"] == "completed"
