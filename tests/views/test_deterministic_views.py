"""Figures of a model without a prior (RAE): samples from a fitted Gaussian, a lattice over the codes' spread."""

import numpy as np
import pytest
import torch

import vaelab
from tests.helpers import tiny_config
from vaelab.views import BUILDERS


@pytest.fixture(scope="module")
def rae_run(tmp_path_factory):
    cfg = tiny_config(epochs=2)
    cfg["model"]["name"] = "rae-l2"
    return vaelab.train(cfg, out=tmp_path_factory.mktemp("rae") / "r")


def test_samples_of_a_model_without_a_prior_come_from_a_fitted_gaussian(rae_run):
    arrays = BUILDERS["samples"](rae_run, n=16)
    assert str(arrays["sampler"]) == "gaussian" and arrays["x"].shape == (16, 32)
    assert (rae_run.path / "samplers" / "gaussian").is_dir()  # fitted once, saved in the run


def test_lattice_of_a_model_without_a_prior_spans_its_codes(rae_run):
    arrays = BUILDERS["lattice"](rae_run, dims=[0, 1], size=5)
    mu = BUILDERS["posterior_test"](rae_run)["mu"]
    center, scale = mu.mean(0), mu.std(0, ddof=1)
    assert np.allclose(arrays["center"], center, atol=1e-5) and np.allclose(arrays["scale"], scale, rtol=1e-4)
    q = torch.special.ndtri((torch.arange(5, dtype=torch.float64) + 0.5) / 5).numpy()
    assert np.allclose(arrays["grid"], center[0] + scale[0] * q, atol=1e-4)
    assert np.allclose(arrays["grid_rows"], center[1] + scale[1] * q, atol=1e-4)


def test_vae_samples_still_come_from_the_prior(tmp_path):
    run = vaelab.train(tiny_config(epochs=1), out=tmp_path / "v")
    arrays = BUILDERS["samples"](run, n=8, seed=3)
    assert str(arrays["sampler"]) == "prior"
    z = run.model.prior.sample(8, generator=torch.Generator().manual_seed(3))
    assert np.allclose(arrays["x"], run.decode(z).mean.numpy(), atol=1e-3)
