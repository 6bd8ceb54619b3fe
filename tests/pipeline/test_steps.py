"""Pipeline steps' own logic: which figure data a plot must build, and the LSO request checks."""

import pytest

from vaelab.errors import ConfigError
from vaelab.pipeline.lso import check_task
from vaelab.pipeline.plotting import missing_arrays


def test_only_missing_or_asked_for_figure_data_is_built(tmp_path):
    (tmp_path / "arrays").mkdir()
    (tmp_path / "arrays" / "posterior_test.npz").write_bytes(b"")
    assert missing_arrays(tmp_path, ["latent-scatter"], "test", False, {}) == []
    assert missing_arrays(tmp_path, ["latent-scatter"], "valid", False, {}) == ["posterior_valid"]
    assert missing_arrays(tmp_path, ["latent-scatter"], "test", True, {}) == ["posterior_test"]
    assert missing_arrays(tmp_path, ["traversals", "curves"], "test", False, {}) == ["traversals"]
    assert missing_arrays(tmp_path, ["latent-scatter"], "test", False, {"posterior_test": {}}) == ["posterior_test"]


def test_lso_requests_are_checked_before_any_run_is_loaded():
    check_task("property", "qed")
    check_task("match", None)
    with pytest.raises(ConfigError, match="unknown lso task 'nope'"):
        check_task("nope", None)
    with pytest.raises(ConfigError, match="drop it for --task match"):
        check_task("match", "qed")
