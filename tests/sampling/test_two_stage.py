"""Dai & Wipf's second stage, trained through vaelab's own pipeline inside the sampler folder."""

import numpy as np
import torch

from vaelab.rundir import load_run
from vaelab.sampling import fitted_sampler

QUICK = {"epochs": 2, "hidden": [16]}


def test_two_stage_fits_samples_and_reloads(run_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = load_run(run_dir)  # building the model draws initial weights from the global RNG
    rng = torch.get_rng_state()
    s = fitted_sampler(run, "two-stage", QUICK, progress=False)
    assert torch.equal(torch.get_rng_state(), rng)  # the nested training left the caller's RNG alone
    folder = run_dir / "samplers" / "two-stage"
    assert (folder / "stage2" / "config.yaml").is_file() and (folder / "codes.npy").is_file()
    assert not (tmp_path / "runs").exists()  # never in the user's runs/ folder
    stage2 = load_run(folder / "stage2")
    assert stage2.config.model.latent_dim == 4 and stage2.config.model.hidden == [16]
    assert stage2.summary["epochs_completed"] == 2
    z = s.sample(12, seed=0)
    assert z.shape == (12, 4) and torch.isfinite(z).all()
    again = fitted_sampler(load_run(run_dir), "two-stage", QUICK)
    assert not again.fitted_now
    torch.testing.assert_close(again.sample(12, seed=0), z, rtol=0, atol=0)
    assert not torch.equal(again.sample(12, seed=1), z)
    assert again.info["summary"]["stage2_epochs"] == 2
    check_standardisation(run, again, folder)


def check_standardisation(run, s, folder):
    """Stage 2 saw standardised codes; its draws come back in the first stage's units."""
    codes = run.encode_means("train").cpu().double()  # (N, d)
    scaled = torch.from_numpy(np.load(folder / "codes.npy")).double()  # (N, d), what stage 2 saw
    assert abs(float(scaled.mean())) < 1e-4
    torch.testing.assert_close(scaled.std(0, correction=0), torch.ones(4, dtype=torch.float64), atol=1e-3, rtol=0)
    torch.testing.assert_close(scaled * s.std.double().cpu() + s.mean.double().cpu(), codes, atol=1e-5, rtol=1e-5)
    z = s.sample(2000, seed=0).double().cpu()
    assert ((z.mean(0) - codes.mean(0)).abs() < codes.std(0) + 1e-3).all()


def test_two_stage_fits_under_no_grad(run_dir, tmp_path, monkeypatch):
    """evaluate runs under torch.no_grad and fits --fd-samplers two-stage there: the nested training still learns."""
    monkeypatch.chdir(tmp_path)
    with torch.no_grad():
        s = fitted_sampler(load_run(run_dir), "two-stage", QUICK, progress=False)
    assert s.info["summary"]["stage2_epochs"] == 2
