"""Degenerate datasets: each is one line naming the problem and the fix (vaelab.data.checks), never a traceback."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import vaelab
from vaelab.config import DataConfig
from vaelab.data import load_data
from vaelab.data.checks import (
    MAX_CLASSES,
    check_eval_split,
    check_labels,
    check_splits,
    check_trainable,
    rows,
)
from vaelab.data.splits import split_indices
from vaelab.errors import ConfigError, DataError


def save(tmp_path, name="d.npz", **arrays):
    path = tmp_path / name
    np.savez(path, **arrays)
    return str(path)


def load(path, **cfg):
    return load_data(DataConfig(name="array", options={"path": path}, **cfg))


def x_of(n, d=4):
    return np.random.default_rng(0).random((n, d))


# ---------------------------------------------------------------- what a loader returns

def test_an_array_without_features_is_refused(tmp_path):
    with pytest.raises(DataError, match=r"^dataset 'array' has no features: each example has shape \(0,\) "
                                        r"\(x has shape \(10, 0\)\).*shape \(N, D\) with D >= 1$"):
        load(save(tmp_path, x=np.zeros((10, 0))))


def test_an_empty_array_is_refused(tmp_path):
    with pytest.raises(DataError, match=r"the training data holds no examples \(x has shape \(0, 4\)\)"):
        load(save(tmp_path, x=np.zeros((0, 4))))


def test_nan_and_inf_are_counted_and_their_rows_named(tmp_path):
    x = x_of(50)
    x[3, 1], x[7, 2] = np.nan, -np.inf
    with pytest.raises(DataError, match=r"^dataset 'array': x holds NaN or Inf .* in 2 of 50 examples of the "
                                        r"training data \(rows 3, 7, counting from 0\); drop or impute them"):
        load(save(tmp_path, x=x))


def test_float64_values_beyond_float32_are_refused_not_turned_into_inf(tmp_path):
    x = x_of(20)
    x[5, 0] = 1e300
    with pytest.raises(DataError, match=r"in 1 of 20 examples .*\(row 5, "):
        load(save(tmp_path, x=x))


def test_nan_in_a_validation_file_names_that_file(tmp_path):
    bad = x_of(10)
    bad[9, 0] = np.nan
    with pytest.raises(DataError, match=r"of the valid data \(row 9, "):
        load_data(DataConfig(name="array", options={"path": save(tmp_path, x=x_of(30)),
                                                    "valid_path": save(tmp_path, "v.npz", x=bad)}))


def test_nan_scores_are_refused(tmp_path):
    score = np.ones(30)
    score[4] = np.nan
    with pytest.raises(DataError, match=r"the score holds NaN or Inf .* \(row 4, "):
        load(save(tmp_path, x=x_of(30), score=score))


def test_negative_labels_are_refused_with_the_renumbering_fix(tmp_path):
    y = np.zeros(50, dtype=np.int64)
    y[[0, 12]] = -1
    with pytest.raises(DataError, match=r"^dataset 'array': 2 label\(s\) of the training data are not class numbers "
                                        r"0\.\.K-1 .*: label -1 at rows 0, 12 .*np\.unique\(y, return_inverse=True\)"):
        load(save(tmp_path, x=x_of(50), y=y))


def test_labels_beyond_the_class_list_or_the_cap_are_refused():
    with pytest.raises(DataError, match=r"not class numbers 0\.\.2 \(the 3 classes a, b, c\): label 3 at row 1 "):
        check_labels(np.array([0, 3, 1]), "mine", "train", classes=["a", "b", "c"])
    with pytest.raises(DataError, match=f"K at most {MAX_CLASSES:,}"):
        check_labels(np.array([0, MAX_CLASSES]), "mine", "train")
    check_labels(np.array([0, 2, 1]), "mine", "train", classes=["a", "b", "c"])


def test_rows_names_the_first_five_and_counts_the_rest():
    assert rows([4]) == "row 4"
    assert rows(range(8)) == "rows 0, 1, 2, 3, 4 and 3 more"


# ---------------------------------------------------------------- split sizes

def test_a_fraction_above_zero_holds_at_least_one_example_out():
    idx = split_indices(5, 0.1, 0.1, seed=0)
    assert [len(idx[s]) for s in ("train", "valid", "test")] == [3, 1, 1]
    idx = split_indices(1, 0.1, 0.1, seed=0)
    assert [len(idx[s]) for s in ("train", "valid", "test")] == [0, 0, 1]
    assert len(split_indices(100, 0.0, 0.0, seed=0)["train"]) == 100


def test_one_example_is_refused_naming_the_split(tmp_path):
    with pytest.raises(DataError, match=r"^dataset 'array' is too small: its 1 example\(s\) split into 0/0/1 "
                                        r"train/valid/test .*it needs at least one training example; give more data"):
        load(save(tmp_path, x=x_of(1)))


def test_training_needs_two_training_and_one_validation_example(tmp_path):
    bundle = load(save(tmp_path, x=x_of(3)))  # loads: 1/1/1
    with pytest.raises(DataError, match=r"its 3 example\(s\) split into 1/1/1 train/valid/test \(data.valid_fraction"
                                        r"=0.1, data.test_fraction=0.1\), and training needs at least 2 training "
                                        r"examples and 1 validation example"):
        check_trainable(bundle, DataConfig(name="array"))
    check_trainable(load(save(tmp_path, x=x_of(4))), DataConfig(name="array"))  # 2/1/1 trains


def test_valid_fraction_zero_loads_but_cannot_train(tmp_path):
    cfg = DataConfig(name="array", options={"path": save(tmp_path, x=x_of(30))}, valid_fraction=0.0)
    bundle = load_data(cfg)
    assert len(bundle.valid) == 0
    with pytest.raises(ConfigError, match=r"^data.valid_fraction=0 holds no validation examples out, .*set "
                                          r"data.valid_fraction above 0 \(e.g. 0.1\)"):
        check_trainable(bundle, cfg)


def test_valid_fraction_one_is_a_config_error():
    with pytest.raises(ConfigError, match=r"config key 'data.valid_fraction': Input should be less than 1"):
        from vaelab.config import make_config

        make_config({"data": {"valid_fraction": 1.0}})


def test_a_limit_that_leaves_one_training_example_is_named():
    cfg = DataConfig(name="array", limit=1)
    with pytest.raises(DataError, match=r"data.limit=1\)"):
        check_splits("array", {"train": 1, "valid": 5, "test": 5}, cfg, training=True)


def test_more_pseudo_labels_than_training_examples_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"^data.pseudo_labels=45 asks for 45 k-means clusters of 40 training "
                                          r"examples; choose at most 40"):
        load(save(tmp_path, x=x_of(50)), pseudo_labels=45)


def test_evaluation_needs_two_examples_of_its_split():
    with pytest.raises(DataError, match=r"^split 'test' of this run holds 0 example\(s\), .*train again with a "
                                        r"larger data.test_fraction$"):
        check_eval_split("test", 0)
    with pytest.raises(ConfigError, match=r"^--limit 1 leaves 1 example"):
        check_eval_split("valid", 1, limit=1)
    check_eval_split("train", 2)


# ---------------------------------------------------------------- the command line

@pytest.mark.parametrize("case, expected", [
    ("nan", "error: dataset 'array': x holds NaN or Inf"),
    ("features", "error: dataset 'array' has no features"),
    ("labels", "error: dataset 'array': 1 label(s) of the training data are not class numbers"),
    ("tiny", "error: dataset 'array' is too small: its 3 example(s) split into 1/1/1"),
    ("valid0", "error: data.valid_fraction=0 holds no validation examples out"),
])
def test_bad_input_degenerate_data_is_one_line_with_exit_code_2(tmp_path, case, expected):
    x = x_of(40)
    x[1, 1] = np.nan if case == "nan" else x[1, 1]
    arrays = {"features": {"x": np.zeros((40, 0))}, "tiny": {"x": x_of(3)},
              "labels": {"x": x, "y": np.r_[-1, np.zeros(39, dtype=int)]}}.get(case, {"x": x})
    fraction = "0" if case == "valid0" else "0.1"
    out = tmp_path / "run"
    r = vaelab("train", "--data", "array", "--set", f"data.options.path={save(tmp_path, **arrays)}", "--set",
               f"data.valid_fraction={fraction}", "--epochs", "1", "--no-progress", "--out", out)
    assert r.returncode == 2, r.stderr
    assert r.stderr.splitlines() == [r.stderr.strip()] and r.stderr.startswith(expected), r.stderr
    assert "Traceback" not in r.stderr + r.stdout and not out.exists()


def test_evaluating_an_empty_test_split_is_one_line(tmp_path):
    import vaelab as api

    run = api.train(data=x_of(40), epochs=1, out=tmp_path / "run",
                    overrides=["data.test_fraction=0", "train.progress=false", "model.hidden=[8]"])
    with pytest.raises(DataError, match=r"^split 'test' of this run holds 0 example\(s\)"):
        api.evaluate(run.path, iw_samples=2, fd=False, progress=False)
    assert api.evaluate(run.path, split="valid", iw_samples=2, fd=False, progress=False)["n"] == 4
