"""Data-parallel training: 2 gloo processes against 1, a killed DDP run resumed, the refusals, bf16.

Every DDP run here goes through ``vaelab train --nproc 2`` in a subprocess: torchrun's
real machinery (elastic agent, c10d rendezvous, gloo).

Tolerances. The equivalence run uses a model whose training step draws no random
numbers (``rae``: a deterministic encoder, on binary data, so no dynamic binarisation):
then 2 processes and 1 differ only in the order of floating-point sums (each rank
averages its half, the all-reduce adds the halves), about 1e-7 relative per step. After
two epochs (20 Adam steps) we allow 1e-5 relative on the logged losses and 1e-5 absolute
on the weights (measured: 8e-8 and 3e-8). A VAE's sampling noise differs per rank, so
its DDP run is equal to one process in distribution, not step by step.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
import yaml
from safetensors.torch import load_file

import vaelab
from vaelab.cli.main import main
from tests.helpers import alive, one_error_line, tiny_config, vaelab as run_cli

LOSS_RTOL = 1e-5
WEIGHT_ATOL = 1e-5


def _weights(run_dir):
    pointer = json.loads((run_dir / "checkpoints" / "latest.json").read_text())
    return load_file(run_dir / "checkpoints" / pointer["last"] / "model.safetensors")


def _metrics(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def _config_file(tmp_path, cfg) -> str:
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


def _deterministic_config():
    cfg = tiny_config(epochs=2, batch_size=50)  # 480 training examples: 9 full batches and one of 30
    cfg["model"]["name"] = "rae"
    return cfg


def test_two_gloo_processes_match_one(tmp_path):
    cfg = _deterministic_config()
    one = vaelab.train(cfg, out=tmp_path / "one")
    done = run_cli("train", _config_file(tmp_path, cfg), "--out", tmp_path / "two", "--nproc", "2")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("trained rae") == 1  # rank 0 alone reports
    a, b = _metrics(one.path), _metrics(tmp_path / "two")
    assert [r["epoch"] for r in b] == [1, 2]
    for ra, rb in zip(a, b):
        for key in ("train_loss", "train_rec", "valid_loss"):
            assert rb[key] == pytest.approx(ra[key], rel=LOSS_RTOL), key
    wa, wb = _weights(one.path), _weights(tmp_path / "two")
    assert wa.keys() == wb.keys()
    for k in wa:
        torch.testing.assert_close(wb[k], wa[k], rtol=0, atol=WEIGHT_ATOL)
    files = sorted(p.name for p in (tmp_path / "two").iterdir())
    assert files == ["checkpoints", "config.yaml", "metrics.jsonl", "summary.json"]  # the lock is gone


def test_killed_ddp_run_resumes_like_an_uninterrupted_one(tmp_path):
    cfg = tiny_config(epochs=4, batch_size=20)
    cfg["data"]["options"] = {"n": 5000, "dim": 64}  # ~0.6 s an epoch in 2 processes: time to kill it mid-run
    path = _config_file(tmp_path, cfg)
    straight = run_cli("train", path, "--out", tmp_path / "straight", "--nproc", "2")
    assert straight.returncode == 0, straight.stderr

    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "vaelab", "train", path, "--out", str(out), "--nproc", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    # latest.json, not the epoch folder: the folder lands first, and a kill between the two left no latest.json
    while not (out / "checkpoints" / "latest.json").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    holder = json.loads((out / ".lock").read_text())["pid"]  # rank 0, a worker in a session of its own
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 10
    while alive(holder) and time.time() < deadline:  # the workers die with their launcher
        time.sleep(0.05)
    assert not alive(holder), "a worker outlived its killed launcher"
    done = json.loads((out / "checkpoints" / "latest.json").read_text())["last"]
    assert done != "epoch_0004", "the run finished before it could be killed; make it longer"

    resumed = run_cli("train", "--resume", out, "--nproc", "2")
    assert resumed.returncode == 0, resumed.stderr
    a, b = _weights(tmp_path / "straight"), _weights(out)
    for k in a:
        assert torch.equal(a[k], b[k]), k  # bit-exact: the same sums in the same order, seeds per epoch and rank
    assert [r["epoch"] for r in _metrics(out)] == [1, 2, 3, 4]
    assert [r["train_loss"] for r in _metrics(out)] == [r["train_loss"] for r in _metrics(tmp_path / "straight")]


@pytest.mark.parametrize("extra, expected", [
    (["--set", "train.batch_size=51"], "train.batch_size=51 is not divisible by the 2 processes"),
    (["--set", "train.device=cpu,cpu,cpu"], "--nproc 2 but train.device lists 3 devices"),
    (["--set", "train.device=cuda:0,cuda:1"], "CUDA devices were listed but CUDA is not available"),
    (["--set", "model.batch_norm=true"], "model.batch_norm=true with data-parallel training"),
    (["--set", "train.step=aggressive"], "train.step=aggressive draws its own inner-loop batches"),
    (["--model", "bn-vae"], "model.posterior=bn-gaussian (BN-VAE) with data-parallel training"),
    (["--model", "free-bits-vae"], "model free-bits-vae: its free-bits term max(lambda, batch-mean KL_j) is a "
                                   "statistic of the whole batch, not a mean over examples"),
    (["--model", "wae-mmd"], "model wae-mmd: its MMD penalty is a statistic of the whole batch, not a mean"),
])
def test_refusals_before_any_process_starts(tmp_path, capsys, extra, expected):
    if "cuda:0" in " ".join(extra) and torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    cfg = _config_file(tmp_path, tiny_config())
    code = main(["train", cfg, "--out", str(tmp_path / "run"), "--nproc", "2", *extra])
    assert code == 2
    assert expected in one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "run").exists()


def test_a_device_list_in_one_process_names_the_launch(tmp_path):
    from vaelab.errors import ConfigError

    with pytest.raises(ConfigError, match="--nproc 2"):
        vaelab.train(tiny_config(device="cpu,cpu"), out=tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_precision_accepts_int_and_text():
    from vaelab.config import make_config

    assert make_config(None, ["train.precision=32"]).train.precision == "32"
    assert make_config(None, ["train.precision=bf16"]).train.precision == "bf16"
    assert make_config({"train": {"precision": 32}}, []).train.precision == "32"


def test_bf16_training_matches_float32(tmp_path):
    """bf16 autocast on CPU: the losses within 1% of float32 after 3 epochs (measured: 2e-5), float32 terms."""
    losses = {}
    for precision in ("32", "bf16"):
        run = vaelab.train(tiny_config(epochs=3, precision=precision, seed=1), out=tmp_path / precision)
        losses[precision] = [r["train_loss"] for r in run.metrics()] + [r["valid_loss"] for r in run.metrics()]
        assert all(w.dtype == torch.float32 for w in _weights(run.path).values())  # checkpoints stay float32
    assert losses["bf16"] == pytest.approx(losses["32"], rel=0.01)
    assert losses["bf16"] != losses["32"]  # bf16 did run


def test_bf16_forward_is_bfloat16_and_the_terms_float32():
    from vaelab.models import build_model

    model = build_model(vaelab.make_config(tiny_config(), []).model, (32,), "binary")
    seen = {}
    model.encoder.register_forward_hook(lambda m, i, o: seen.update(encoder=o.dtype))
    x = torch.rand(8, 32).round()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(x, 1.0)
    assert seen["encoder"] == torch.bfloat16
    assert out.loss.dtype == out.rec.dtype == out.kl.dtype == torch.float32


def test_a_filled_out_folder_is_refused_before_the_workers_start(tmp_path, capsys):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "something").write_text("x")
    code = main(["train", _config_file(tmp_path, tiny_config()), "--out", str(tmp_path / "run"), "--nproc", "2"])
    assert code == 2
    assert "already exists and is not empty" in one_error_line(capsys.readouterr().err)


def test_a_worker_side_refusal_is_one_line(tmp_path):
    cfg = tiny_config()
    cfg["data"] = {"name": "array", "options": {"path": str(tmp_path / "missing.npz")}}
    done = run_cli("train", _config_file(tmp_path, cfg), "--out", tmp_path / "run", "--nproc", "2")
    assert done.returncode == 2
    assert "missing.npz" in one_error_line(done.stderr)
    assert not (tmp_path / "run").exists()
