"""The FD feature nets: shipped ones (files, hashes, which data uses them, retraining them bit for bit, thread
independence) and nets trained on the user's data (cache key, near-chance warning)."""

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
import torch

import vaelab
from vaelab.config.schema import DataConfig
from vaelab.data import load_data
from vaelab.data.download import file_digest
from vaelab.data.transforms import prepare_eval
from vaelab.diagnostics.frechet import frechet_distance
from vaelab.pipeline import feature_cache, feature_net as fn
from vaelab.pipeline.fd_net import near_chance
from vaelab.pipeline.feature_source import feature_source
from vaelab.pipeline.shipped_nets import SHIPPED, load_shipped, shipped_files, shipped_for, train_shipped


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_shipped_net_is_in_the_package_with_the_hash_its_record_names(name):
    weights, record = shipped_files(name)
    info = json.loads(record.read_text())
    assert file_digest(weights, "sha256") == info["sha256"] and info["recipe_version"] == fn.RECIPE_VERSION
    assert info["test_accuracy"] > 0.9 and info["n_classes"] == 10 and info["binary"] == name.endswith("-binary")
    net, loaded = load_shipped(name, torch.device("cpu"))
    assert loaded["origin"] == "shipped with vaelab" and net.head.out_features == 10


def test_a_damaged_shipped_file_is_refused(tmp_path, monkeypatch):
    from vaelab.errors import CheckpointError
    from vaelab.pipeline import shipped_nets

    for path in shipped_files("digits-grey"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    weights, _ = shipped_files("digits-grey", tmp_path)
    weights.write_bytes(weights.read_bytes()[:-4] + b"\0\0\0\0")
    monkeypatch.setattr(shipped_nets, "FOLDER", tmp_path)
    with pytest.raises(CheckpointError, match=r"digits-grey-v\d+\.safetensors' is damaged .*sha256.*reinstall vaelab"):
        load_shipped("digits-grey", torch.device("cpu"))


def _bundle(name, **options):
    return load_data(DataConfig(name=name, options=options), progress=False)


def test_which_data_uses_which_shipped_net():
    mnist5k, digits = _bundle("mnist5k"), _bundle("digits")
    assert shipped_for(mnist5k, binary=True) == "mnist5k-binary" and shipped_for(mnist5k, False) == "mnist5k-grey"
    assert shipped_for(digits, binary=True) == "digits-binary" and shipped_for(digits, False) == "digits-grey"
    mnist5k.name = "binarized-mnist"  # the binarized MNIST files: 784 binary pixels, no labels
    assert shipped_for(mnist5k, binary=True) == "mnist5k-binary"
    unlabelled = _bundle("synthetic", n=200, image_side=28, kind="binary")
    for s in (unlabelled.train, unlabelled.valid, unlabelled.test):
        s.y = None
    assert shipped_for(unlabelled, binary=True) == "mnist5k-binary"  # unlabelled MNIST-like data
    assert shipped_for(_bundle("synthetic", n=200, image_side=8), binary=True) is None  # labelled, not digits
    assert shipped_for(_bundle("synthetic", n=200, image_side=28), binary=False) is None  # labelled: its own net


def _machine(record: dict) -> str:
    """The CPU's model name, without the thread count of the process that wrote the record."""
    return re.sub(r" \(\d+ cores, \d+ threads\)$", "", record["machine"])


def test_retraining_a_shipped_net_gives_the_same_bits_whatever_the_thread_count(tmp_path):
    """Seed 0, one CPU thread, deterministic algorithms: the same weights however many threads the caller has.

    The shipped file's own bits are asserted only where torch and the CPU model are those
    it was trained with: another CPU may round differently (other SIMD kernels), which is
    why the nets are shipped rather than retrained.
    """
    threads = torch.get_num_threads()
    digests = []
    try:
        for n in (2, 1):
            torch.set_num_threads(n)
            digests.append(train_shipped("digits-grey", tmp_path / str(n))["sha256"])
    finally:
        torch.set_num_threads(threads)
    assert digests[0] == digests[1] and torch.get_num_threads() == threads
    shipped = json.loads(shipped_files("digits-grey")[1].read_text())
    retrained = json.loads(shipped_files("digits-grey", tmp_path / "1")[1].read_text())
    assert retrained["test_accuracy"] == pytest.approx(shipped["test_accuracy"], abs=0.03)
    if (retrained["torch_version"], _machine(retrained)) == (shipped["torch_version"], _machine(shipped)):
        assert digests[0] == shipped["sha256"]


def test_fd_with_the_shipped_net_is_the_same_with_one_or_two_threads():
    """Features bit for bit, and the FD too (numpy's BLAS threads varied with them)."""
    from threadpoolctl import threadpool_limits

    net, _ = load_shipped("mnist5k-binary", torch.device("cpu"))
    bundle = _bundle("mnist5k")
    ref = prepare_eval(bundle.test.x, "dynamic", seed=0)  # (500, 1, 28, 28) binarised test digits
    other = bundle.train.x[:2000].float()  # (2000, 1, 28, 28) grey training digits
    threads, out = torch.get_num_threads(), {}
    try:
        for n in (1, 2):
            torch.set_num_threads(n)
            with threadpool_limits(n):
                fa, fb = fn.features(net, ref), fn.features(net, other)
                out[n] = fa, fb, frechet_distance(fa.numpy(), fb.numpy())
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(out[1][0], out[2][0]) and torch.equal(out[1][1], out[2][1])
    assert out[1][2] == out[2][2] and f"{out[1][2]:.1f}" == f"{out[2][2]:.1f}" and out[1][2] > 1.0
    assert torch.get_num_threads() == threads


def test_evaluate_scores_digits_with_the_shipped_net_and_trains_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(feature_cache, "train_feature_net", lambda *a, **k: pytest.fail("trained a net"))
    cfg = {"data": {"name": "digits"}, "model": {"latent_dim": 2, "hidden": [16]},
           "train": {"epochs": 1, "batch_size": 100, "progress": False}}
    d = vaelab.evaluate(vaelab.train(cfg, out=tmp_path / "r"), iw_samples=0, progress=False, write=False)
    net = d["fd"]["feature_net"]
    shipped = json.loads(shipped_files(net["net"])[1].read_text())
    assert net["origin"] == "shipped with vaelab" and net["net"] == "digits-binary"  # digits are binarised
    assert net["sha256"] == shipped["sha256"] and net["hash"] == shipped["sha256"][:12]
    assert list(net)[:4] == ["name", "net", "origin", "hash"] and "warning" not in net
    assert not (Path(os.environ["VAELAB_CACHE"]) / "feature-nets").exists()


def _digits_source():
    bundle = _bundle("digits")
    return bundle, feature_source(bundle, binary=False)


def test_the_cache_key_changes_with_the_data_bytes_the_recipe_and_torch(monkeypatch):
    _, src = _digits_source()
    key = feature_cache.cache_key(feature_cache.key_parts(src))
    assert feature_cache.cache_key(feature_cache.key_parts(src)) == key and re.fullmatch(r"[0-9a-f]{16}", key)
    src.x_train = src.x_train.clone()
    src.x_train[0, 0, 0, 0] += 1 / 16  # one pixel of one training image
    assert feature_cache.cache_key(feature_cache.key_parts(src)) != key
    src.x_train[0, 0, 0, 0] -= 1 / 16
    assert feature_cache.cache_key(feature_cache.key_parts(src)) == key
    src.y_test = src.y_test.clone()
    src.y_test[0] = (src.y_test[0] + 1) % 10  # one test label
    assert feature_cache.cache_key(feature_cache.key_parts(src)) != key
    src.y_test[0] = (src.y_test[0] - 1) % 10
    monkeypatch.setattr(feature_cache.torch, "__version__", "0.0.1")
    assert feature_cache.cache_key(feature_cache.key_parts(src)) != key
    monkeypatch.undo()
    monkeypatch.setattr(feature_cache, "RECIPE_VERSION", fn.RECIPE_VERSION + 1)
    assert feature_cache.cache_key(feature_cache.key_parts(src)) != key


def test_near_chance_rule():
    assert near_chance(0.20, 0.10) and not near_chance(0.21, 0.10)  # ten balanced classes: twice chance
    assert near_chance(0.50, 0.25) and not near_chance(0.51, 0.25)
    assert near_chance(0.75, 0.50) and not near_chance(0.76, 0.50)  # two classes: halfway from chance to 1
    assert near_chance(0.94, 0.90) and not near_chance(0.96, 0.90)  # 90 % of one class


def test_a_near_chance_feature_net_warns_in_one_line_and_records_it(tmp_path):
    """Random labels on random images: the net cannot beat chance, and evaluate says so."""
    gen = np.random.default_rng(0)
    path = tmp_path / "noise.npz"
    np.savez(path, x=gen.random((300, 16), dtype=np.float32), y=gen.integers(0, 4, 300))
    cfg = {"data": {"name": "array", "options": {"path": str(path), "kind": "unit"}, "binarize": "none"},
           "model": {"latent_dim": 2, "hidden": [16]}, "train": {"epochs": 1, "batch_size": 50, "progress": False}}
    run = vaelab.train(cfg, out=tmp_path / "r")
    with pytest.warns(UserWarning, match=r"FD feature net: test accuracy 0\.\d\d on 30 test images is near chance "
                                         r"\(0\.\d\d\) .*--no-fd") as caught:
        d = vaelab.evaluate(run, iw_samples=0, progress=False)
    (message,) = [str(w.message) for w in caught if "FD feature net" in str(w.message)]
    net = d["fd"]["feature_net"]
    assert "\n" not in message and net["warning"] == message and net["origin"] == "trained locally (cache)"
    assert net["test_accuracy"] <= 2 * net["chance_accuracy"]
