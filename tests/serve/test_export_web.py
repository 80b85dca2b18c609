"""`infogan export-web`: the playground as a static folder, run in Debian's headless Chromium with no server but a
static file server on 127.0.0.1. The page must draw, read and edit in the browser (onnxruntime-web), fetch nothing
but its own folder's files, and draw the images the Python SDK draws from the same latents (within 1 grey level).
Needs js/node_modules (`npm ci --ignore-scripts` in js/, as scripts/test does)."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from infogan_sdk import Encoder, Generator
from infogan_sdk.cli import main
from infogan_sdk.cli.web import REPOSITORY_JS, page

from .test_browser import browser, circle, draw, image_of, missing, reading_of  # noqa: F401 (browser: a fixture)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not (REPOSITORY_JS / "node_modules" / "onnxruntime-web").is_dir():
        missing("js/node_modules is missing (npm ci --ignore-scripts in js/)")
    out = tmp_path_factory.mktemp("web") / "site"
    assert main(["export-web", str(out)]) == 0
    handler = functools.partial(_Quiet, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def web(browser: Any, site: str) -> Iterator[tuple[Any, list[str]]]:  # noqa: F811
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    opened = context.new_page()
    problems: list[str] = []
    requested: list[str] = []
    opened.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    opened.on("pageerror", lambda error: problems.append(str(error)))
    opened.on("request", lambda request: requested.append(request.url))
    opened.goto(site)
    opened.wait_for_selector("#code-thickness")
    opened.wait_for_function("document.getElementById('generated-image').src.startsWith('data:image/png')",
                             timeout=30_000)
    yield opened, requested
    context.close()
    assert problems == [], problems
    foreign = [url for url in requested if not url.startswith((site, "data:", "blob:"))]
    assert foreign == []  # the folder is the whole page: nothing from anywhere else


def test_the_folder_holds_the_page_the_package_onnxruntime_web_and_the_model(site: str, tmp_path: Path) -> None:
    out = tmp_path / "again"
    assert main(["export-web", str(out)]) == 0
    assert main(["export-web", str(out)]) == 1  # exists: refused, not replaced
    files = {path.relative_to(out).as_posix() for path in out.rglob("*") if path.is_file()}
    assert {"index.html", "static/app.js", "static/local.js", "infogan-sdk/browser.js", "model/manifest.json",
            "model/generator.onnx", "model/encoder.onnx", "ort/ort-wasm-simd-threaded.wasm"} <= files
    assert "infogan-sdk/node.js" not in files and "infogan-sdk/lane.js" not in files  # Node only
    size = sum((out / name).stat().st_size for name in files)
    assert size <= 25e6, f"{size / 1e6:.1f} MB"  # issue 23's budget for the static folder
    html = (out / "index.html").read_text()
    assert '"onnxruntime-web": "./ort/ort.wasm.min.mjs"' in html and 'src="/' not in html


def test_page_refuses_an_index_html_it_does_not_know() -> None:
    with pytest.raises(AssertionError, match="update export-web"):
        page("<html><script src='/static/other.js'></script></html>")


@pytest.mark.parametrize(("digit", "strokes"), [
    ("1", [[(0.5, 0.15), (0.5, 0.5), (0.5, 0.85)]]),
    ("0", [circle(0.5, 0.5, 0.25, 0.35)]),
    ("7", [[(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]]),
])
def test_a_drawn_digit_is_read_in_the_browser_as_python_reads_it(web: tuple[Any, list[str]], digit: str,
                                                                  strokes: list[list[tuple[float, float]]],
                                                                  encoder: Encoder) -> None:
    opened, _ = web
    draw(opened, strokes)
    assert reading_of(opened, digit) == digit
    canvas = image_of(opened.evaluate("document.getElementById('draw-canvas').toDataURL('image/png')"))
    read = encoder.infer(Image.fromarray(canvas))  # RGBA, as the page's canvas is
    assert read.digits[0] == int(digit)
    expected = read.continuous[0].tolist()  # the codes only: realness is deprecated, out of the page
    # the page also reads while the stroke is drawn (every 150 ms), so the digit can show before the reading of the
    # finished drawing lands: wait up to 10 s for that one (the page prints 3 decimals), then compare
    for _ in range(100):
        shown = opened.eval_on_selector_all("#reading-codes dd", "cells => cells.map(c => parseFloat(c.textContent))")
        if len(shown) == len(expected) and np.allclose(shown, expected, rtol=0, atol=1.5e-3):
            break
        opened.wait_for_timeout(100)
    np.testing.assert_allclose(shown, expected, atol=1.5e-3)


def test_a_code_slider_draws_what_the_python_sdk_draws_from_the_same_latents(web: tuple[Any, list[str]],
                                                                            generator: Generator) -> None:
    opened, requested = web
    image = opened.locator("#generated-image")
    opened.focus("#code-thickness")
    for _ in range(25):
        opened.keyboard.press("ArrowRight")
    opened.wait_for_function("JSON.parse(document.getElementById('generated-image').dataset.request || '{}')"
                             ".continuous?.thickness === Number(document.getElementById('code-thickness').value)")
    latents = opened.evaluate("(() => { const m = window.infoganLocal.last; return {digits: Array.from(m.digits), "
                              "continuous: Array.from(m.continuous), noise: Array.from(m.noise)}; })()")
    k = len(generator.continuous_names)
    drawn = generator.generate(digits=latents["digits"], continuous=np.reshape(latents["continuous"], (-1, k)),
                               noise=np.reshape(latents["noise"], (-1, generator.spec.noise_size)))
    shown = image_of(image.get_attribute("src"))
    assert shown.shape[:2] == (28, 28)
    gap = np.abs(shown[..., 0].astype(int) - drawn.images[0].astype(int)).max()
    assert gap <= 1, gap
    assert latents["continuous"][generator.continuous_names.index("thickness")] == pytest.approx(1.4089, abs=1e-6)
    assert any(url.endswith("ort-wasm-simd-threaded.wasm") for url in requested)  # it ran on onnxruntime-web


def test_edit_runs_in_the_browser(web: tuple[Any, list[str]]) -> None:
    opened, _ = web
    draw(opened, [[(0.3, 0.2), (0.72, 0.2), (0.45, 0.85)]])
    reading_of(opened, "7")
    opened.wait_for_function("document.getElementById('edit-result').src.startsWith('data:image/png')")
    before = image_of(opened.get_attribute("#edit-result", "src"))[..., 0]  # RGBA from the page's canvas
    opened.focus("#edit-thickness")
    for _ in range(20):  # thickness +1
        opened.keyboard.press("ArrowRight")
    opened.wait_for_function("JSON.parse(document.getElementById('edit-result').dataset.request || '{}')"
                             ".continuous?.thickness === 1")
    opened.wait_for_timeout(300)
    after = image_of(opened.get_attribute("#edit-result", "src"))[..., 0]
    assert after.astype(float).sum() > 1.15 * before.astype(float).sum()  # thicker: more ink
    assert 0 <= float(opened.inner_text("#edit-error")) < 0.5
