import shutil

import pytest

from tests.conftest import tiny_config


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory):
    """A tiny VAE on 8x8 binary synthetic images (so sample grids are images), trained once per session."""
    import vaelab

    cfg = tiny_config()
    cfg["data"]["options"] = {"n": 600, "image_side": 8}
    return vaelab.train(cfg, out=tmp_path_factory.mktemp("sampling") / "run").path


@pytest.fixture
def run_dir(trained_run, tmp_path):
    """A private copy of the trained run: tests that fit samplers write into it."""
    return shutil.copytree(trained_run, tmp_path / "run")
