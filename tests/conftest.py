import os
from pathlib import Path

# Bit-exact tests (determinism, resume) need MKL to keep its thread count fixed: with dynamic
# threading it may use fewer threads on a busy machine, which changes float rounding.
os.environ.setdefault("MKL_DYNAMIC", "FALSE")

import shutil

import pytest

from tests.helpers import tiny_config, token_config

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow test: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory, monkeypatch):
    """Tests never touch the user's cache or pick up their data directory."""
    monkeypatch.setenv("VAELAB_CACHE", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("VAELAB_DATA", raising=False)
    monkeypatch.delenv("VAELAB_MIRROR", raising=False)


@pytest.fixture
def shared_data():
    if not (SHARED_DATA / "binarized_mnist").is_dir():
        pytest.skip(f"needs the shared data folder {SHARED_DATA}/binarized_mnist (absent on this machine)")
    return SHARED_DATA


def _image_run(folder, epochs: int):
    """A tiny VAE trained on 600 8x8 binary synthetic images (4 label classes): its run directory."""
    import vaelab

    cfg = tiny_config(epochs=epochs)
    cfg["data"]["options"] = {"n": 600, "image_side": 8}
    return vaelab.train(cfg, out=folder / "run").path


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory):
    """A tiny VAE on 8x8 binary synthetic images (so sample grids are images), trained once per session."""
    return _image_run(tmp_path_factory.mktemp("sampling"), epochs=2)


@pytest.fixture
def run_dir(trained_run, tmp_path):
    """A private copy of the trained run: tests that fit samplers write into it."""
    return shutil.copytree(trained_run, tmp_path / "run")


@pytest.fixture(scope="session")
def trained_image_run(tmp_path_factory):
    """A tiny VAE on 8x8 binary synthetic images with 4 label classes, trained for 3 epochs once per session."""
    return _image_run(tmp_path_factory.mktemp("lso"), epochs=3)


@pytest.fixture
def image_run_dir(trained_image_run, tmp_path):
    """A private copy of the 3-epoch image run: tests write RUN_DIR/lso/ (and more) into it."""
    return shutil.copytree(trained_image_run, tmp_path / "run")


@pytest.fixture(scope="session")
def token_run(tmp_path_factory):
    """A tiny, barely trained SMILES VAE (GRU encoder and decoder) on the 200-molecule QM9 fixture."""
    pytest.importorskip("rdkit")
    import torch

    import vaelab

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny GRUs: threads cost more than they give
    try:
        yield vaelab.train(token_config(), out=tmp_path_factory.mktemp("tokens") / "run")
    finally:
        torch.set_num_threads(threads)


# A headless Chromium for the browser tests (the report, vaelab explore).
INSTALL_HINT = ("install them with `apt-get install chromium chromium-driver` (Debian/Ubuntu; `make test` does "
                "this when it runs as root) and `pip install selenium` (in the dev extra)")


def _find(*names):
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium driven by selenium; skipped with the packages to install when any part is missing."""
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip(f"browser test needs the Python package selenium; {INSTALL_HINT}")
    browser = _find("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
    driver_path = _find("chromedriver")
    if browser is None or driver_path is None:
        missing = " and ".join(n for n, p in (("chromium", browser), ("chromedriver", driver_path)) if p is None)
        pytest.skip(f"browser test needs {missing} on PATH; {INSTALL_HINT}")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1600", "--hide-scrollbars"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        # An explicit driver path: selenium then never tries to download one.
        driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    except WebDriverException as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        pytest.skip(f"{browser} with {driver_path} failed to start ({first}); {INSTALL_HINT}")
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()
