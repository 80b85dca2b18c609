"""`POST /v1/edit` on the planted model whose encoder inverts its generator: the SDK's edit, as JSON."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from infogan_sdk import Generator
from infogan_sdk.serve.app import create_app
from infogan_sdk.serve.config import ServeConfig
from tests.sdk.tiny_models import MAIN_SPEC, REVERSED, build_model

from .conftest import LOCAL
from .test_app import assert_error, pixels


@pytest.fixture(scope="module")
def editable_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_model(tmp_path_factory.mktemp("serve") / "editable", MAIN_SPEC, REVERSED, ["rotation", "thickness"],
                       invertible_noise=True)


@pytest.fixture(scope="module")
def editing(editable_dir: Path, tiny_dir: Path) -> Iterator[TestClient]:
    config = ServeConfig(models=(str(editable_dir), str(tiny_dir)), device="cpu", threads=1, max_images=4,
                         max_generate=12)
    with TestClient(create_app(config), base_url=LOCAL) as started:
        yield started


def encoded(images: np.ndarray) -> list[str]:
    found = []
    for image in images:
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="PNG")
        found.append(base64.b64encode(buffer.getvalue()).decode())
    return found


def test_edit_answers_what_the_sdk_edits(editing: TestClient, editable_dir: Path) -> None:
    generator = Generator(editable_dir, device="cpu")
    drawn = generator.generate(digits=[1, 8], continuous=np.zeros((2, 2)), seed=0).images
    body = editing.post("/v1/edit", json={"images": encoded(drawn), "digit": [4, 5],
                                          "continuous": {"thickness": 0.5}, "reconstruct": True,
                                          "return_noise": True}).json()
    expected = generator.edit(drawn, digit=[4, 5], thickness=0.5)
    redrawn = generator.reconstruct(drawn)
    assert expected.source is not None and redrawn.reconstruction_error is not None
    assert body["model"] == "editable" and len(body["images"]) == len(body["sources"]) == 2
    for index, (image, source) in enumerate(zip(body["images"], body["sources"], strict=True)):
        np.testing.assert_array_equal(pixels(image["png"]), expected.images[index])
        assert image["digit"] == [4, 5][index] and image["noise"] == pytest.approx(expected.noise[index].tolist())
        assert image["continuous"]["thickness"] == pytest.approx(source["continuous"]["thickness"] + 0.5)
        assert source["digit"] == [1, 8][index]
        np.testing.assert_array_equal(pixels(source["png"]), expected.source.images[index])
        np.testing.assert_array_equal(pixels(source["reconstruction"]), redrawn.images[index])
        assert source["reconstruction_error"] == pytest.approx(float(redrawn.reconstruction_error[index]))
    models = {m["name"]: m["can_edit"] for m in editing.get("/v1/models").json()["models"]}
    assert models == {"editable": True, "tiny": False}


def test_one_image_as_every_digit(editing: TestClient, editable_dir: Path) -> None:
    drawn = Generator(editable_dir, device="cpu").generate(digits=6, seed=1).images
    body = editing.post("/v1/edit", json={"images": encoded(drawn), "digit": list(range(10))}).json()
    assert [image["digit"] for image in body["images"]] == list(range(10)) and len(body["sources"]) == 1
    assert "reconstruction" not in body["sources"][0] and "noise" not in body["images"][0]


def test_edit_refusals_are_json_4xx(editing: TestClient, editable_dir: Path) -> None:
    drawn = encoded(Generator(editable_dir, device="cpu").generate(digits=[2, 3], seed=2).images)
    assert_error(editing.post("/v1/edit", json={"images": drawn, "model": "tiny"}), 422, "invalid_input",
                 "no 'noise' output")
    assert_error(editing.post("/v1/edit", json={"images": []}), 422, "invalid_input", "at least one image")
    assert_error(editing.post("/v1/edit", json={"images": drawn * 3}), 413, "too_large", "--max-images")
    assert_error(editing.post("/v1/edit", json={"images": drawn[:1], "digit": list(range(10)) * 2}), 422,
                 "invalid_input", "--max-generate")
    assert_error(editing.post("/v1/edit", json={"images": drawn, "digit": [1, 2, 3]}), 422, "invalid_input",
                 "batch lengths disagree")
    assert_error(editing.post("/v1/edit", json={"images": ["not base64!"]}), 422, "invalid_input",
                 "images[0]: not valid base64")
    assert_error(editing.post("/v1/edit", json={"images": [base64.b64encode(b"GIF89a junk").decode()]}), 422,
                 "invalid_input")
    assert_error(editing.post("/v1/edit", json={"images": drawn, "continuous": {"width": 1}}), 422, "invalid_input",
                 "no continuous code named 'width'")
    assert_error(editing.post("/v1/edit", json={"images": drawn, "digit": "3"}), 422, "invalid_input")
    assert_error(editing.post("/v1/edit", content=b"{}", headers={"Content-Type": "text/plain"}), 415,
                 "unsupported_media_type")


@pytest.mark.parametrize("path", ["/v1/edit", "/v1/infer"])
def test_heavy_edits_and_reads_wait_for_a_free_heavy_slot_or_get_503(editing: TestClient, path: str) -> None:
    """--max-heavy counts infer and edit requests whose images declare over 2 M pixels; small ones never."""
    big = encoded(np.zeros((1, 1500, 1500), dtype=np.uint8))  # 2.25 M pixels
    small = encoded(np.zeros((1, 28, 28), dtype=np.uint8))
    app = editing.app
    limit = app.state.config.max_heavy
    app.state.heavy = limit  # every heavy slot taken
    try:
        refused = editing.post(path, json={"images": big})
        assert refused.status_code == 503 and refused.json()["error"] == "busy"
        assert "--max-heavy" in refused.json()["detail"]
        assert editing.post(path, json={"images": small}).status_code in (200, 422)  # small: no slot needed
    finally:
        app.state.heavy = 0
    assert editing.post(path, json={"images": big}).status_code in (200, 422)  # a free slot: read (blank: 422)
    assert app.state.heavy == 0  # given back
