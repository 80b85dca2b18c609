"""`infogan export-web`'s sources, fast: which onnxruntime-web it takes and from where, and the static page's words
(the page itself runs in Chromium in tests/serve/test_export_web.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infogan_sdk.cli.web import ORT_FILES, ORT_VERSION, REPOSITORY_JS, STATIC, export_web, page
from infogan_sdk.errors import InvalidInputError


def test_the_pinned_onnxruntime_web_is_the_one_the_javascript_package_depends_on() -> None:
    package = json.loads((REPOSITORY_JS / "package.json").read_text())
    assert package["dependencies"]["onnxruntime-web"] == ORT_VERSION


def _fake_ort(root: Path, version: str) -> None:
    dist = root / "node_modules" / "onnxruntime-web" / "dist"
    dist.mkdir(parents=True)
    (dist.parent / "package.json").write_text(json.dumps({"version": version}))
    for name in ORT_FILES:
        (dist / name).write_text("")


def test_without_onnxruntime_web_it_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidInputError, match=rf"npm install onnxruntime-web@{ORT_VERSION} --ignore-scripts"):
        export_web(tmp_path / "site", "mnist", tmp_path / "js")
    assert not (tmp_path / "site").exists()
    _fake_ort(tmp_path, "1.0.0")  # the current folder's, at another version
    with pytest.raises(InvalidInputError, match=rf"needs onnxruntime-web {ORT_VERSION}, found 1.0.0"):
        export_web(tmp_path / "site", "mnist", tmp_path / "js")


def test_the_current_folders_onnxruntime_web_serves_a_package_without_node_modules(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    js = tmp_path / "js"  # as the wheel carries it: sources, no node_modules
    (js / "src").mkdir(parents=True)
    (js / "web").mkdir()
    (js / "src" / "browser.js").write_text("// browser")
    (js / "src" / "files.js").write_text("// Node only")
    (js / "web" / "local.js").write_text("// local")
    _fake_ort(tmp_path, ORT_VERSION)
    monkeypatch.chdir(tmp_path)
    out = export_web(tmp_path / "site", "mnist", js)
    assert (out / "ort" / ORT_FILES[-1]).is_file() and (out / "infogan-sdk" / "browser.js").is_file()
    assert not (out / "infogan-sdk" / "files.js").exists()


def test_the_static_page_names_the_calls_it_makes_not_the_servers_api() -> None:
    served = (STATIC / "index.html").read_text()
    assert "POST /v1/infer" in served  # the served page names its API calls
    static = page(served)
    assert "/v1/" not in static and "<code>Encoder.infer</code> (in this page)" in static
    assert "<code>Generator.edit</code>" in static and "<code>Generator.generate</code>" in static
    with pytest.raises(AssertionError, match="update export-web"):
        page(served.replace("POST /v1/infer", "POST /v1/read"))  # an endpoint it has no words for
