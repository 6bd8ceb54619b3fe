"""Fitted samplers on a tiny trained run: codes, storage, reuse, explicit refits, the prior."""

import json

import pytest
import torch
from safetensors.numpy import load_file

from vaelab.errors import ConfigError
from vaelab.rundir import load_run
from vaelab.sampling import SamplerMismatch, fitted_sampler, sample_codes
from vaelab.sampling.gmm import GMMSampler


def test_codes_are_the_training_posterior_means(trained_run):
    run = load_run(trained_run)
    codes = run.encode_means("train", batch_size=64).cpu()  # several batches
    x = run.eval_data("train")
    assert codes.shape == (x.shape[0], run.model.latent_dim)
    torch.testing.assert_close(codes, run.encode(x).mean.cpu())


@pytest.mark.parametrize("name", ["gaussian", "gmm"])
def test_saved_sampler_reproduces_draws_after_reload(name, run_dir):
    first = fitted_sampler(load_run(run_dir), name, options={"components": 3} if name == "gmm" else None)
    assert first.fitted_now
    a = first.sample(40, seed=3)
    again = fitted_sampler(load_run(run_dir), name, options={"components": 3} if name == "gmm" else None)
    assert not again.fitted_now  # loaded from RUN_DIR/samplers/<name>/
    torch.testing.assert_close(again.sample(40, seed=3), a, rtol=0, atol=0)
    assert not torch.equal(again.sample(40, seed=4), a)
    assert a.shape == (40, 4) and a.dtype == torch.float32
    record = json.loads((run_dir / "samplers" / name / "sampler.json").read_text())
    assert record["checkpoint"] == load_run(run_dir).checkpoint and record["checkpoint_epoch"] == 2
    assert record["n_codes"] == len(load_run(run_dir).eval_data("train")) and record["code_dim"] == 4
    arrays = load_file(run_dir / "samplers" / name / "params.safetensors")  # plain arrays, no pickle
    assert set(arrays) == ({"mean", "covariance"} if name == "gaussian" else {"weights", "means", "covariances"})


def test_reuse_loads_mismatch_asks_for_refit_and_refit_refits(run_dir, monkeypatch):
    run = load_run(run_dir)
    fitted_sampler(run, "gmm", {"components": 2})
    record = run_dir / "samplers" / "gmm" / "sampler.json"
    fitted_at = json.loads(record.read_text())["fitted_at"], record.stat().st_mtime_ns

    def no_fit(*a, **k):
        raise AssertionError("refitted instead of loading")

    with monkeypatch.context() as m:
        m.setattr(GMMSampler, "fit", classmethod(no_fit))
        assert not fitted_sampler(run, "gmm", {"components": 2}).fitted_now
        assert fitted_sampler(run, "gmm").options["components"] == 2  # no options asked: the saved fit's
        with pytest.raises(SamplerMismatch, match=r"components=2 \(asked 10\).*--refit"):
            fitted_sampler(run, "gmm", {"components": 10})  # other options asked for explicitly
    assert (json.loads(record.read_text())["fitted_at"], record.stat().st_mtime_ns) == fitted_at
    s = fitted_sampler(run, "gmm", refit=True)
    assert s.fitted_now and json.loads(record.read_text())["options"]["components"] == 10
    assert len(s.weights) == 10


def test_another_checkpoint_asks_for_refit(run_dir):
    run = load_run(run_dir)
    fitted_sampler(run, "gaussian")
    path = run_dir / "samplers" / "gaussian" / "sampler.json"
    record = json.loads(path.read_text())
    path.write_text(json.dumps({**record, "checkpoint": "epoch_0001", "checkpoint_epoch": 1}))
    with pytest.raises(SamplerMismatch, match=r"fitted on checkpoint epoch_0001 \(epoch 1\).*--refit"):
        fitted_sampler(run, "gaussian")


def test_an_interrupted_fit_is_fitted_again(run_dir):
    folder = run_dir / "samplers" / "gaussian"
    folder.mkdir(parents=True)
    (folder / "params.safetensors").write_bytes(b"half")  # no sampler.json: the fit never finished
    assert fitted_sampler(load_run(run_dir), "gaussian").fitted_now


def test_prior_draws_are_the_runs_own_samples(trained_run):
    run = load_run(trained_run)
    z = sample_codes(run, "prior", 8, seed=5)
    torch.testing.assert_close(run.decode_means(z), run.sample(8, seed=5))
    assert not (trained_run / "samplers").exists()  # nothing to fit, nothing saved


def test_prior_of_a_model_without_one_is_a_clear_error(trained_run, monkeypatch):
    run = load_run(trained_run)
    monkeypatch.setattr(run.model, "has_prior", False)
    monkeypatch.setattr(run.config.model, "name", "rae")
    with pytest.raises(ConfigError) as err:
        fitted_sampler(run, "prior")
    assert str(err.value) == ("model 'rae' has no prior: its codes follow no fixed distribution. "
                              "Use --sampler gaussian, gmm or two-stage")


def test_unknown_sampler_names_the_choices(trained_run):
    with pytest.raises(ConfigError, match="Choose one of: prior, gaussian, gmm, two-stage"):
        fitted_sampler(load_run(trained_run), "gauss")
