"""The explore page in headless Chromium against a real server (skipped without Chromium, chromedriver, selenium).

Checks what the API tests cannot: the page runs without console errors and fetches
nothing from anywhere but its server; a click on the map, a slider, a path and samples
change what is drawn; a molecule run shows its SMILES and an SVG drawing; dragging a
slider sends a handful of decodes, not one per input event. A screenshot is saved
(``$VAELAB_EXPLORE_SCREENSHOT`` names a copy to keep).
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import time

import numpy as np
import pytest
from PIL import Image, ImageStat

WAIT_S = 60  # generous: the tests run niced on a busy machine


def _wait(driver, script: str, what: str, timeout: float = WAIT_S):
    """Poll ``return <script>`` until it is truthy; its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(f"return {script}")
        if value:
            return value
        time.sleep(0.05)
    status = driver.execute_script("return document.getElementById('status').textContent")
    raise AssertionError(f"timed out waiting for {what} ({script}); status: {status!r}")


def _open(driver, url: str):
    driver.get_log("browser")  # drop entries of earlier pages
    driver.get(url)
    _wait(driver, "window.explore && window.explore.ready && "
                  "window.explore.stats.decodeResponses >= window.explore.runs.length", "the first decodes")
    _idle(driver)
    return driver


def _idle(driver):
    """Until no decode is in flight or waiting (every run's latest-wins queue is empty)."""
    _wait(driver, "window.explore.runs.every(R => !R.decoder.busy && R.decoder.next === null)", "decodes to finish")


def _decoded(driver, r: int = 0) -> str:
    return driver.execute_script("return document.querySelectorAll('img.decoded')[arguments[0]].src", r)


def _pixels(url: str) -> np.ndarray:
    assert url.startswith("data:image/png;base64,"), url[:40]
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("L"), dtype=float)


def _click_at(driver, r: int, xy):
    """A real mouse click at CSS pixel (x, y) of run r's map canvas."""
    from selenium.webdriver.common.action_chains import ActionChains

    canvas = driver.find_elements("css selector", "canvas.map")[r]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)
    ActionChains(driver).move_to_element_with_offset(canvas, *_offset(canvas, xy)).click().perform()


def _hover_at(driver, r: int, xy):
    from selenium.webdriver.common.action_chains import ActionChains

    canvas = driver.find_elements("css selector", "canvas.map")[r]
    ActionChains(driver).move_to_element_with_offset(canvas, *_offset(canvas, xy)).perform()


def _offset(canvas, xy) -> tuple[int, int]:
    """Selenium's offset (from the element's centre, whole pixels) of CSS pixel (x, y) of the canvas."""
    size = canvas.size
    return round(xy[0] - size["width"] / 2), round(xy[1] - size["height"] / 2)


def _pick(driver, r: int, i: int) -> int:
    """Click example i of run r on its map; the example the page picked (the nearest to the click)."""
    done = driver.execute_script("return window.explore.stats.decodeResponses")
    _click_at(driver, r, driver.execute_script("return window.explore.runs[arguments[0]].screen[arguments[1]]", r, i))
    _wait(driver, f"window.explore.stats.decodeResponses > {done}", "a decode")
    _idle(driver)
    picked = driver.execute_script("return window.explore.runs[arguments[0]].example", r)
    assert picked is not None and driver.execute_script(
        "return window.explore.runs[arguments[0]].source", r).startswith(f"example {picked} ")
    return picked


def _extremes(driver, r: int = 0) -> tuple[int, int]:
    """The examples drawn leftmost and rightmost on run r's map."""
    xs = driver.execute_script("return window.explore.runs[arguments[0]].screen.map(p => p[0])", r)
    return int(np.argmin(xs)), int(np.argmax(xs))


def _severe(driver) -> list:
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


@pytest.fixture(scope="module")
def image_url(served, session_4d):
    return served(session_4d)


@pytest.fixture
def page(chromium, image_url):
    return _open(chromium, image_url)


def test_loads_without_console_errors_or_requests_elsewhere(page, image_url):
    assert _severe(page) == []
    origin = image_url.rstrip("/")
    resources = page.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert resources and all(n.startswith((origin + "/", "data:", "blob:")) for n in resources), \
        resources
    nav = page.execute_script("return performance.getEntriesByType('navigation').map(e => e.name)")
    assert all(n.startswith(origin) for n in nav)
    assert page.execute_script("return document.querySelectorAll('.run').length") == 1
    assert page.execute_script("return document.querySelectorAll('.slider input').length") == 4


def test_clicking_two_map_points_changes_the_decoded_image(page):
    left, right = _extremes(page)
    _pick(page, 0, left)
    first = _decoded(page)
    _pick(page, 0, right)
    second = _decoded(page)
    a, b = _pixels(first), _pixels(second)
    assert a.shape == b.shape == (8, 8) and np.abs(a - b).max() > 0
    _click_at(page, 0, (30, 30))  # an empty corner: decode that place
    _wait(page, "window.explore.runs[0].source.startsWith('map point')", "a decoded map point")
    assert _severe(page) == []


def test_moving_a_slider_changes_the_image_with_few_requests(page):
    before = _decoded(page)
    sent = page.execute_script("return window.explore.stats.decodeSent")
    last = page.execute_script("""
        const s = document.querySelector('.slider input');
        const lo = parseFloat(s.min), hi = parseFloat(s.max);
        let v;
        for (let k = 0; k < 200; k++) {   // a fast drag: 200 input events in one go
          v = lo + (hi - lo) * (k / 199);
          s.value = v;
          s.dispatchEvent(new Event('input'));
        }
        return [parseInt(s.dataset.dim), parseFloat(s.value)];""")
    _idle(page)
    dim, value = last
    assert page.execute_script("return window.explore.stats.decodeSent") - sent <= 5  # latest wins, no queue
    code = page.execute_script("return window.explore.runs[0].code")
    assert code[dim] == pytest.approx(value, abs=1e-3)  # the last value was decoded
    assert "sliders" in page.execute_script("return window.explore.runs[0].source")
    assert np.abs(_pixels(_decoded(page)) - _pixels(before)).max() > 0


def test_the_first_slider_is_the_most_active_dimension(page):
    info = page.execute_script("return window.explore.info.runs[0].dims")
    dims = page.execute_script("return Array.from(document.querySelectorAll('.slider input')).map(s => "
                               "parseInt(s.dataset.dim))")
    assert dims == [d["dim"] for d in info] and info[0]["activity"] == max(d["activity"] for d in info)


def test_two_picks_make_a_path_strip_drawn_on_the_map(page):
    left, right = _extremes(page)
    _pick(page, 0, left)
    _pick(page, 0, right)
    assert page.execute_script("return window.explore.picks.length") == 2
    page.find_element("id", "path").click()
    _wait(page, "!document.querySelector('.path-strips').hidden && "
                "document.querySelectorAll('.strip.linear img').length === 8 && "
                "document.querySelectorAll('.strip.spherical img').length === 8", "the path strips")
    assert page.execute_script("return window.explore.runs[0].path.linear.length") == 8
    linear = page.execute_script("return Array.from(document.querySelectorAll('.strip.linear img')).map(i => i.src)")
    assert len(set(linear)) > 1


def test_samples_appear_on_the_map_and_in_a_strip(page):
    page.execute_script("document.querySelector('.sampler').value = 'gmm'")
    page.find_element("css selector", ".samples-box .draw").click()
    _wait(page, "document.querySelectorAll('.strip.samples img').length === 16", "16 samples")
    assert len(page.execute_script("return window.explore.runs[0].samples")) == 16
    assert "gmm" in page.find_element("id", "status").text


def test_exports_work_in_the_page(page):
    png = page.execute_script("return window.explore.snapshot().toDataURL('image/png')")
    assert png.startswith("data:image/png;base64,") and _pixels(png).std() > 5
    record = page.execute_script("return window.explore.codeRecord()")
    assert len(record["runs"][0]["code"]) == 4 and record["runs"][0]["model"] == "vae"


def test_screenshot_of_a_busy_page(page, tmp_path):
    """Path, samples and a pick on the map; the screenshot is saved and must show something."""
    left, right = _extremes(page)
    _pick(page, 0, left)
    _pick(page, 0, right)
    page.find_element("id", "path").click()
    _wait(page, "document.querySelectorAll('.strip.spherical img').length === 8", "the path strips")
    page.find_element("css selector", ".samples-box .draw").click()
    _wait(page, "document.querySelectorAll('.strip.samples img').length === 16", "16 samples")
    _idle(page)
    page.execute_script("window.scrollTo(0, 0)")
    out = tmp_path / "explore.png"
    page.save_screenshot(str(out))
    keep = os.environ.get("VAELAB_EXPLORE_SCREENSHOT")
    if keep:
        shutil.copy(out, keep)
    shot = Image.open(out).convert("RGB")
    assert shot.width >= 1000 and max(ImageStat.Stat(shot.convert("L")).stddev) > 10
    assert _severe(page) == []


def test_two_runs_side_by_side_show_the_same_example(chromium, served, session_pair):
    page = _open(chromium, served(session_pair))
    assert page.execute_script("return document.querySelectorAll('.run').length") == 2
    assert page.execute_script("return window.explore.info.linked && window.explore.info.joint")
    _, right = _extremes(page, 0)
    before = [_decoded(page, 0), _decoded(page, 1)]
    picked = _pick(page, 0, right)
    assert page.execute_script("return window.explore.runs[1].source").startswith(f"example {picked} ")
    after = [_decoded(page, 0), _decoded(page, 1)]
    assert after[0] != before[0] and after[1] != before[1]
    assert _severe(page) == []


def test_a_molecule_run_shows_smiles_and_an_svg(chromium, served, session_tokens):
    page = _open(chromium, served(session_tokens))
    smiles = page.find_element("css selector", ".smiles").text
    validity = page.find_element("css selector", ".validity").text
    assert smiles and validity in ("valid", "invalid")
    assert page.execute_script("return document.querySelector('img.decoded').hidden") == (validity == "invalid")
    screen = page.execute_script("return window.explore.runs[0].screen")
    _hover_at(page, 0, screen[0])
    _wait(page, "!document.getElementById('tooltip').hidden", "the hover tooltip")
    src = page.execute_script("return document.querySelector('#tooltip img').src")
    text = page.find_element("id", "tooltip").text
    assert src.startswith("data:image/svg+xml;base64,")
    shown = int(re.search(r"example (\d+) ", text).group(1))  # the example nearest the pointer
    assert session_tokens.runs[0].example(shown)["smiles"] in text
    png = page.execute_script("return window.explore.snapshot().toDataURL('image/png')")  # SVG does not taint it
    assert png.startswith("data:image/png;base64,")
    assert _severe(page) == []
