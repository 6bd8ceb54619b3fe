"""The command line end to end, in subprocesses, as a user runs it."""

import json
from pathlib import Path
import subprocess
import sys

import pytest

from tests.helpers import vaelab


def test_train_then_evaluate_on_synthetic(tmp_path):
    out = tmp_path / "run"
    r = vaelab("train", "--data", "synthetic", "--epochs", "3", "--latent-dim", "3", "--seed", "1",
               "--set", "data.options.n=500", "--set", "model.hidden=[32]", "--out", out, "--no-progress")
    assert r.returncode == 0, r.stderr
    assert str(out) in r.stdout and "valid -ELBO" in r.stdout
    for name in ("config.yaml", "metrics.jsonl", "summary.json", "checkpoints"):
        assert (out / name).exists(), name
    r = vaelab("evaluate", out, "--iw-samples", "50")
    assert r.returncode == 0, r.stderr
    d = json.loads((out / "diagnostics.json").read_text())
    assert {"neg_elbo", "rec", "kl", "iw_nll"} <= set(d)
    assert d["iw_nll"] <= d["neg_elbo"] + 0.5  # the IW bound is (up to noise) tighter than the ELBO
    assert d["n"] == 50


def test_resume_flag_extends_a_run(tmp_path):
    out = tmp_path / "run"
    base = ["--data", "synthetic", "--set", "data.options.n=300", "--no-progress"]
    assert vaelab("train", *base, "--epochs", "1", "--out", out).returncode == 0
    r = vaelab("train", "--resume", out, "--epochs", "2", "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "2/2" in r.stdout


def test_config_file_with_overrides(tmp_path):
    (tmp_path / "c.yaml").write_text("data: {name: synthetic, options: {n: 300}}\ntrain: {epochs: 1}\n")
    r = vaelab("train", tmp_path / "c.yaml", "--set", "model.latent_dim=2", "--out", tmp_path / "r", "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "latent_dim: 2" in (tmp_path / "r" / "config.yaml").read_text()


@pytest.mark.parametrize("args,needle", [
    (["train", "--set", "model.latnt_dim=2"], "unknown config key 'model.latnt_dim'"),
    (["train", "--set", "train.epochs=abc"], "config key 'train.epochs'"),
    (["train", "--data", "nope"], "unknown dataset 'nope'"),
    (["train", "--model", "nope", "--data", "synthetic"], "unknown model 'nope'"),
    (["train", "--data", "binarized-mnist", "--set", "data.download=false"], "--data-dir"),
    (["evaluate", "/nonexistent/run"], "not a run directory"),
    (["train", "--resume", "/nonexistent/run"], "cannot resume"),
])
def test_user_errors_are_one_clear_line(args, needle, tmp_path):
    r = vaelab(*args, "--out", tmp_path / "o") if args[0] == "train" and "--resume" not in args else vaelab(*args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert needle in r.stderr
    assert "Traceback" not in r.stderr


def test_corrupt_checkpoint_is_reported(tmp_path):
    out = tmp_path / "run"
    assert vaelab("train", "--data", "synthetic", "--epochs", "1", "--set", "data.options.n=300", "--out", out,
                  "--no-progress").returncode == 0
    weights = next((out / "checkpoints").glob("epoch_*/model.safetensors"))
    weights.write_bytes(weights.read_bytes()[:100])
    r = vaelab("evaluate", out)
    assert r.returncode == 2 and "corrupt" in r.stderr and "Traceback" not in r.stderr
    r = vaelab("train", "--resume", out, "--epochs", "2", "--no-progress")
    assert r.returncode == 2 and "corrupt" in r.stderr and "Traceback" not in r.stderr


def test_nan_in_data_is_reported(tmp_path):
    import numpy as np

    x = np.random.rand(50, 6).astype(np.float32)
    x[3, 2] = np.nan
    np.savez(tmp_path / "d.npz", x=x)
    r = vaelab("train", "--data", "array", "--set", f"data.options.path={tmp_path / 'd.npz'}", "--out", tmp_path / "o")
    assert r.returncode == 2 and "NaN" in r.stderr and "Traceback" not in r.stderr


def test_listings():
    r = vaelab("datasets")
    assert r.returncode == 0 and "mnist5k" in r.stdout and "embedded" in r.stdout
    r = vaelab("models")
    assert r.returncode == 0 and "vae" in r.stdout and "bounded-gaussian" in r.stdout


def test_resume_with_a_different_model_is_a_clear_error(tmp_path):
    out = tmp_path / "run"
    base = ["--data", "synthetic", "--set", "data.options.n=300", "--no-progress"]
    assert vaelab("train", *base, "--epochs", "1", "--latent-dim", "2", "--out", out).returncode == 0
    r = vaelab("train", "--resume", out, "--epochs", "2", "--latent-dim", "3", "--no-progress")
    assert r.returncode == 2 and "does not fit this model" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("signame, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_ctrl_c_and_sigterm_keep_the_last_checkpoint_and_say_how_to_resume(tmp_path, signame, code):
    """SIGTERM (what Slurm and `timeout` send) is handled like Ctrl-C: summary marked interrupted, exit 128 + sig."""
    import signal
    import time

    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "vaelab", "train", "--data", "synthetic", "--set",
                             "data.options.n=20000", "--batch-size", "20", "--epochs", "50", "--no-compile",
                             "--out", str(out),
                             "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            # a shell without job control starts background jobs (`make test &`) with SIGINT
                            # ignored, and the child would inherit that: give it the default disposition
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 120
    while not (out / "checkpoints" / "latest.json").exists() and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(getattr(signal, signame))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "--resume" in err and "Traceback" not in err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "interrupted" and summary["epochs_completed"] >= 1
    r = vaelab("train", "--resume", out, "--epochs", str(summary["epochs_completed"] + 1), "--no-progress")
    assert r.returncode == 0, r.stderr


def test_default_run_directory_name_has_no_colon():
    from vaelab.training.session import default_out as _default_out
    from vaelab.config import make_config

    out = _default_out(make_config({"data": {"name": "zinc:250k"}, "model": {"name": "vae-smiles-zinc"}}))
    assert out.parent.name == "runs" and out.name.startswith("vae-smiles-zinc-zinc-250k-") and ":" not in str(out)


def test_warnings_print_as_one_line_without_the_source(tmp_path, capsys):
    import warnings

    from vaelab.cli.output import print_warning

    print_warning(UserWarning("qm9: 3 molecules [skipped]"), UserWarning, "registry.py", 126)
    err = capsys.readouterr().err
    assert err.strip() == "warning: qm9: 3 molecules [skipped]" and "raw =" not in err
    assert warnings.showwarning is not print_warning  # only `vaelab` itself installs it, for one command


def test_the_cli_prints_the_kl_error_on_one_line_and_exits_non_zero(tmp_path, capsys):
    from vaelab.cli.main import main

    code = main(["train", "--model", "rae", "--beta", "0.5", "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "model 'rae' has no KL term" in err


def test_an_unexpected_error_is_one_line_with_a_crash_log(monkeypatch, capsys):
    from vaelab.cli import commands
    from vaelab.cli.main import main

    def broken(args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(commands, "cmd_datasets", broken)
    assert main(["datasets"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "internal error (ZeroDivisionError: a bug)" in err
    log = err.split("traceback is in ")[1].split(";")[0]
    assert "ZeroDivisionError" in Path(log).read_text()
    monkeypatch.setenv("VAELAB_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        main(["datasets"])


def test_a_disk_error_is_one_line_with_exit_code_4(monkeypatch, capsys):
    import errno

    from vaelab.cli import commands
    from vaelab.cli.main import main

    def full(args):
        raise OSError(errno.ENOSPC, "No space left on device", "/runs/x/checkpoints/latest.json")

    monkeypatch.setattr(commands, "cmd_datasets", full)
    assert main(["datasets"]) == 4
    err = capsys.readouterr().err
    assert "'/runs/x/checkpoints/latest.json'" in err and "disk is full" in err and "intact" in err


def test_a_second_sigterm_exits_at_once():
    """The first SIGTERM stops the work like Ctrl-C (save, then stop); the handler then steps aside, so a second
    SIGTERM (an impatient scheduler) ends the process at once."""
    import signal

    from vaelab.cli.main import _on_sigterm
    from vaelab.errors import Terminated

    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        with pytest.raises(Terminated):
            _on_sigterm(signal.SIGTERM, None)
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, previous)
