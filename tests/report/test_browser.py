"""The report in a real browser: headless Chromium through selenium (skipped when either is missing).

Checks what a string search cannot: the page parses without console errors, every
embedded image decodes, the browser fetches nothing, and something is drawn.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageStat

from vaelab.report import build_report


@pytest.fixture
def loaded(chromium, runs, tmp_path):
    out = build_report(runs, tmp_path / "report.html")
    chromium.get_log("browser")  # drop entries from earlier pages
    chromium.get(out.resolve().as_uri())
    chromium.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    return chromium


def test_no_console_errors(loaded):
    severe = [e for e in loaded.get_log("browser") if e.get("level") == "SEVERE"]
    assert severe == []


def test_every_image_loads(loaded):
    images = loaded.execute_script(
        "return Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth, i.src.slice(0, 22)])")
    assert len(images) == 9
    for alt, complete, width, src in images:
        assert complete and width > 0, alt
        assert src == "data:image/png;base64,", alt


def test_no_network_requests(loaded):
    resources = loaded.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith('data:'))")
    assert resources == []
    nav = loaded.execute_script("return performance.getEntriesByType('navigation').map(e => e.name)")
    assert all(n.startswith("file:") for n in nav)


def test_hostile_run_name_is_text_not_markup(loaded):
    assert loaded.execute_script("return document.querySelectorAll('img[src=\"x\"], script').length") == 0
    assert "ae <img src=x onerror=alert(1)>" in loaded.execute_script("return document.body.innerText")


def test_screenshot_is_not_blank(loaded):
    shot = Image.open(io.BytesIO(loaded.get_screenshot_as_png())).convert("RGB")
    assert shot.width >= 800 and shot.height >= 600
    colours = shot.getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 20  # None: more than 65,536 colours
    assert max(ImageStat.Stat(shot.convert("L")).stddev) > 10
    loaded.execute_script("document.getElementById('figures').scrollIntoView()")
    figures = Image.open(io.BytesIO(loaded.get_screenshot_as_png())).convert("L")
    assert ImageStat.Stat(figures).stddev[0] > 10
