"""`evaluate_run` end to end on a tiny run, and the FD feature net's source, cache and oracle."""

import json
import re

import numpy as np
import pytest
import torch

import vaelab
from vaelab.rundir.run import SUBSET_RULE, subset_index
from tests.helpers import tiny_config
from vaelab.data import load_data
from vaelab.config.schema import DataConfig
from vaelab.pipeline import feature_cache, feature_net as fn
from vaelab.pipeline.feature_source import feature_source
from vaelab.diagnostics.frechet import frechet_distance
from vaelab.data.groups import group_labels

KEYS = {"neg_elbo", "rec", "kl", "kl_per_dim", "iw_nll", "iw_nll_se", "iw_samples", "mi", "mi_n", "au",
        "activity_per_dim", "collapsed_dims", "reencode_se", "reencode_lp", "kl_minus_mi", "bubbles", "fd"}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    return vaelab.train(tiny_config(), out=tmp_path_factory.mktemp("runs") / "vae")


def test_evaluate_writes_every_key(tiny_run, monkeypatch):
    monkeypatch.setattr(fn, "MAX_STEPS", 200)
    d = vaelab.evaluate(tiny_run, iw_samples=20, progress=False)
    assert KEYS <= set(d), KEYS - set(d)
    on_disk = json.loads((tiny_run.path / "diagnostics.json").read_text())
    assert KEYS <= set(on_disk)
    dim = tiny_run.model.latent_dim
    assert len(d["kl_per_dim"]) == len(d["activity_per_dim"]) == dim
    assert sum(d["kl_per_dim"]) == pytest.approx(d["kl"], rel=1e-4)  # closed form, same posterior
    assert d["kl_minus_mi"] == pytest.approx(d["kl"] - d["mi"])
    assert d["iw_samples"] == 20 and d["mi_n"] == d["n"]
    assert d["bubbles"]["group_by"] == "bin of the first factor"
    assert sum(g["n"] for g in d["bubbles"]["groups"]) == d["n"]
    fd = d["fd"]
    assert {"fd_rec", "fd_n", "fd_interp", "fd_data"} <= set(fd)
    assert fd["feature_net"]["name"] == "FD (feature net)" and 0 <= fd["feature_net"]["test_accuracy"] <= 1
    assert fd["feature_net"]["origin"] == "trained locally (cache)" and len(fd["feature_net"]["sha256"]) == 64
    assert fd["feature_net"]["recipe_version"] == fn.RECIPE_VERSION
    posterior = np.load(tiny_run.path / "arrays" / "posterior_test.npz")
    assert posterior["mu"].shape == (d["n"], dim) and posterior["labels"].shape == (d["n"],)


def test_training_the_feature_net_leaves_the_iw_draws_alone(tiny_run, monkeypatch):
    """The IW NLL comes after the FD: it must not depend on whether the feature net was cached or trained."""
    monkeypatch.setattr(fn, "MAX_STEPS", 200)
    trained = vaelab.evaluate(tiny_run, iw_samples=20, write=False, progress=False)  # fresh cache: trains the net
    cached = vaelab.evaluate(tiny_run, iw_samples=20, write=False, progress=False)  # loads it
    assert trained["iw_nll"] == cached["iw_nll"] and trained["fd"]["fd_rec"] == cached["fd"]["fd_rec"]


def test_evaluate_limit_and_no_fd(tiny_run):
    d = vaelab.evaluate(tiny_run, iw_samples=0, fd=False, limit=40, write=False, progress=False)
    assert d["n"] == 40 and "fd" not in d and "iw_nll" not in d and d["subset"] == SUBSET_RULE
    assert set(d["skipped"]) == {"fd", "iw_nll"}
    assert "subset" not in vaelab.evaluate(tiny_run, iw_samples=0, fd=False, write=False, progress=False)


def test_a_limit_takes_a_seeded_random_subset_not_the_first_rows(tiny_run):
    """Binarized MNIST's test split is stored sorted by label: its first 2,000 digits are nearly all 0s and 1s."""
    labels = torch.arange(1000) // 100  # (1000,) a split sorted by label, 100 per class
    idx = subset_index(1000, 100)
    assert torch.equal(idx, subset_index(1000, 100)) and torch.equal(idx, idx.sort().values)
    assert len(set(idx.tolist())) == 100 and set(labels[idx].tolist()) == set(range(10))  # the first 100: one class
    assert subset_index(50, 50) is None and subset_index(50, 80) is None
    run = vaelab.load_run(tiny_run)
    full = run.eval_data("test")
    cut = run.limited("test", 40)
    assert torch.equal(cut.eval_data("test"), full[subset_index(full.shape[0], 40)])


def _digits_source(binary=False, labelled=True):
    bundle = load_data(DataConfig(name="digits"))
    if not labelled:
        for s in (bundle.train, bundle.valid, bundle.test):
            s.y = None
    return bundle, feature_source(bundle, binary)


def test_feature_source_rules():
    bundle, src = _digits_source()
    assert src.labels == "own" and "digit label" in src.description
    bundle, src = _digits_source(labelled=False)  # 64 inputs, no labels: k-means clusters
    assert src.labels == "kmeans" and "k-means" in src.description
    assert int(src.y_train.max()) <= 9


def test_feature_net_is_cached_and_perfect_reconstruction_has_zero_fd(monkeypatch):
    monkeypatch.setattr(fn, "MAX_STEPS", 300)
    bundle, src = _digits_source()
    net, info = feature_cache.load_or_train(src, torch.device("cpu"))
    assert info["test_accuracy"] > 0.8 and info["origin"] == "trained locally (cache)"  # 8x8 digits are easy
    monkeypatch.setattr(feature_cache, "train_feature_net", lambda *a, **k: pytest.fail("retrained despite the cache"))
    net2, info2 = feature_cache.load_or_train(src, torch.device("cpu"))
    x = bundle.test.x.float()
    f1, f2 = fn.features(net, x).numpy(), fn.features(net2, x).numpy()
    assert np.array_equal(f1, f2) and info2 == info
    assert frechet_distance(f1, fn.features(net, x.clone()).numpy()) == pytest.approx(0.0, abs=1e-6)
    noisy = (x + 0.5 * torch.rand_like(x)).clamp(0, 1)
    assert frechet_distance(f1, fn.features(net, noisy).numpy()) > 1.0


def test_group_labels_without_labels_uses_kmeans():
    bundle = load_data(DataConfig(name="digits"))
    ids, name, names = group_labels(bundle, "test")
    assert name == "digit label" and names[3] == "3" and np.array_equal(ids, bundle.test.y.numpy())
    bundle.test.y = bundle.train.y = None
    ids, name, names = group_labels(bundle, "test", k=4)
    assert name == "k-means cluster of x (k=4)" and names is None and set(ids) <= {0, 1, 2, 3}


def test_fd_columns_of_the_rae_table_for_a_deterministic_model(tmp_path):
    """fd_n uses a Gaussian fitted to the codes (the paper's N column), fd_gmm the mixture; both saved and reused."""
    cfg = tiny_config(epochs=1)
    cfg["model"]["name"] = "rae"
    run = vaelab.train(cfg, out=tmp_path / "r")
    d = vaelab.evaluate(run, iw_samples=0, fd_samplers=("gmm",))
    fd = d["fd"]
    assert fd["n_sampler"] == "gaussian" and all(np.isfinite(fd[k]) for k in ("fd_rec", "fd_n", "fd_gmm"))
    assert (run.path / "samplers" / "gaussian").is_dir() and (run.path / "samplers" / "gmm").is_dir()
    assert list(run._means) == [("train", 480)]  # both fits used one encoding of train
    again = vaelab.evaluate(run, iw_samples=0, fd_samplers=("gmm",))["fd"]  # the saved fits: the same draws
    assert again["fd_gmm"] == fd["fd_gmm"] and again["fd_n"] == fd["fd_n"]


def test_evaluate_asks_for_refit_samplers_when_a_fit_does_not_match(tmp_path):
    from vaelab.sampling import SamplerMismatch, fitted_sampler

    cfg = tiny_config(epochs=1)
    cfg["model"]["name"] = "rae"
    run = vaelab.train(cfg, out=tmp_path / "r")
    fitted_sampler(run, "gmm", options={"components": 2}, progress=False)  # on the best checkpoint
    d = vaelab.evaluate(run, iw_samples=0)  # the saved fit is used, with its own options
    assert "components=2" in d["fd"]["feature_net"]["fd_gmm"]
    record = run.path / "samplers" / "gmm" / "sampler.json"  # as if fitted before a resumed run moved "best"
    record.write_text(record.read_text().replace('"epoch_0001"', '"epoch_0099"'))
    with pytest.raises(SamplerMismatch, match="--refit-samplers"):
        vaelab.evaluate(run, iw_samples=0)
    assert "fd_gmm" in vaelab.evaluate(run, iw_samples=0, refit_samplers=True)["fd"]


@pytest.mark.parametrize("kwargs, needle", [({"batch_size": 0}, "--batch-size must be a whole number >= 1, got 0"),
                                            ({"limit": 0}, "--limit must be"), ({"iw_samples": -5}, ">= 0, got -5"),
                                            ({"molecule_samples": 1.5}, "--molecule-samples")])
def test_bad_counts_are_refused_before_anything_runs(tiny_run, kwargs, needle):
    from vaelab.errors import ConfigError

    with pytest.raises(ConfigError, match=re.escape(needle)):
        vaelab.evaluate(tiny_run, write=False, progress=False, **kwargs)
