"""The bad-input suite's fixtures: one protected run that no failing command may change."""

import pytest

from tests.helpers import tiny_config
from tests.helpers.badinput import snapshot


@pytest.fixture(scope="session")
def protected_run(tmp_path_factory):
    """A trained and evaluated tiny run on 8x8 synthetic images (4 classes)."""
    import vaelab

    cfg = tiny_config(epochs=2)
    cfg["data"]["options"] = {"n": 400, "image_side": 8}
    run = vaelab.train(cfg, out=tmp_path_factory.mktemp("protected") / "run")
    vaelab.evaluate(run, iw_samples=5, limit=50)
    return run.path


@pytest.fixture(autouse=True)
def _protected_run_unchanged(protected_run):
    """After every case, every file of the protected run is byte-identical."""
    before = snapshot(protected_run)
    yield
    assert snapshot(protected_run) == before, "a failing command changed the protected run's files"
