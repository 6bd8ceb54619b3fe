import shutil

import pytest

from tests.helpers import tiny_config


@pytest.fixture(scope="session")
def trained_image_run(tmp_path_factory):
    """A tiny VAE on 8x8 binary synthetic images with 4 label classes, trained once per session."""
    import vaelab

    cfg = tiny_config(epochs=3)
    cfg["data"]["options"] = {"n": 600, "image_side": 8}
    return vaelab.train(cfg, out=tmp_path_factory.mktemp("lso") / "run").path


@pytest.fixture
def image_run_dir(trained_image_run, tmp_path):
    """A private copy of the trained run: the tests write RUN_DIR/lso/ into it."""
    return shutil.copytree(trained_image_run, tmp_path / "run")
