"""Fixtures for the report tests: synthetic run directories and a headless Chromium."""

from __future__ import annotations

import shutil

import pytest

from tests.helpers.report_runs import sample_runs

INSTALL_HINT = ("install them with `apt-get install chromium chromium-driver` (Debian/Ubuntu; `make test` does "
                "this when it runs as root) and `pip install selenium` (in the dev extra)")


@pytest.fixture
def runs(tmp_path):
    """Three run directories: vae (everything), beta-vae (other config, skipped metrics), a hostile-named one
    with neither diagnostics nor plots."""
    return sample_runs(tmp_path / "runs")


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
