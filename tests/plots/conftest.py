import pytest

from tests.helpers.synthetic_runs import make_run


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One synthetic run directory per case, written once per test module."""
    root = tmp_path_factory.mktemp("runs")
    return {case: make_run(root / case, case, n=400)
            for case in ("image2d", "image16d", "vector10", "tokens")}
