"""`infogan export-web OUT`: the playground as a static folder that runs in the browser with no server.

OUT gets the same page as `infogan serve` (index.html and static/), answered in the page by the JavaScript
package (infogan-sdk/: its browser sources, which the wheel carries as infogan_sdk/js and a checkout has in js/)
on onnxruntime-web (ort/: its WebAssembly build, from node_modules/onnxruntime-web of the package's folder or of
the current folder), and the model folder (model/). Serve OUT with any static file server (`python -m http.server
-d OUT`); nothing is fetched from elsewhere. Copies files only: no model math here.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path

from infogan_sdk.atomic import atomic_output
from infogan_sdk.errors import InvalidInputError
from infogan_sdk.loading.folders import resolve_model
from infogan_sdk.loading.manifest import MANIFEST_NAME, load_manifest

STATIC = Path(__file__).resolve().parents[1] / "serve" / "static"
PACKAGED_JS = Path(__file__).resolve().parents[1] / "js"  # in an installed wheel (pyproject's package-dir)
REPOSITORY_JS = Path(__file__).resolve().parents[2] / "js"  # in a checkout
DEFAULT_JS = PACKAGED_JS if (PACKAGED_JS / "src" / "browser.js").is_file() else REPOSITORY_JS
ORT_VERSION = "1.31.1"  # js/package.json's onnxruntime-web: the version the package's sources are tested with
ORT_FILES = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")  # wasm, no WebGPU
# the page's hints name the API call behind each panel; with no server, the SDK call the page makes instead
IN_BROWSER = {"/v1/infer": "Encoder.infer", "/v1/edit": "Generator.edit", "/v1/generate": "Generator.generate",
              "/v1/traverse": "Generator.traverse"}
IMPORTS = {"onnxruntime-web": "./ort/ort.wasm.min.mjs", "infogan-sdk": "./infogan-sdk/browser.js"}


def add_export_web(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = subcommands.add_parser("export-web", help="write the playground as a static folder that runs in the "
                                     "browser, offline (onnxruntime-web)")
    command.add_argument("out", type=Path, help="the folder to write (must not exist unless --overwrite)")
    command.add_argument("--model", default="mnist", help="bundled model name or model folder (default mnist)")
    command.add_argument("--js", type=Path, default=DEFAULT_JS, help="the JavaScript package's folder (default: the "
                         "one installed with infogan-sdk, or js/ of a checkout)")
    command.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    command.set_defaults(handler=export_web_command)


def export_web_command(args: argparse.Namespace) -> int:
    out = export_web(args.out, args.model, args.js, args.overwrite)
    size = sum(path.stat().st_size for path in out.rglob("*") if path.is_file())
    print(f"{out} ({size / 1e6:.1f} MB): serve it with any static file server, e.g. "
          f"python -m http.server -d {out} 8080, then open http://127.0.0.1:8080/")
    return 0


def export_web(out: Path, model: str, js: Path = DEFAULT_JS, overwrite: bool = False) -> Path:
    """Write the static playground folder at `out` (atomically: all of it or nothing); returns `out`."""
    folder = resolve_model(model)
    manifest = load_manifest(folder)  # checks every file's sha256: a damaged model is not exported
    sources = {"infogan-sdk": js / "src", "ort": onnxruntime_web(js)}
    needed = (sources["infogan-sdk"] / "browser.js", js / "web" / "local.js")
    missing = [str(path) for path in needed if not path.is_file()]
    if missing:
        raise InvalidInputError(f"export-web needs the JavaScript package's sources (pass --js DIR, a checkout's js/); "
                                f"missing: {', '.join(missing)}")
    with atomic_output(out, folder=True, overwrite=overwrite) as work:
        (work / "static").mkdir()
        for name in ("app.js", "style.css"):
            shutil.copy2(STATIC / name, work / "static" / name)
        shutil.copy2(js / "web" / "local.js", work / "static" / "local.js")
        node_only = shutil.ignore_patterns("node.js", "lane.js", "files.js")
        shutil.copytree(sources["infogan-sdk"], work / "infogan-sdk", ignore=node_only)
        (work / "ort").mkdir()
        for name in ORT_FILES:
            shutil.copy2(sources["ort"] / name, work / "ort" / name)
        (work / "model").mkdir()
        for role in ("generator", "encoder"):  # the float32 files only: variants stay behind
            shutil.copy2(folder / manifest.data["files"][role]["path"], work / "model")
        shutil.copy2(folder / MANIFEST_NAME, work / "model" / MANIFEST_NAME)
        (work / "index.html").write_text(page((STATIC / "index.html").read_text()), encoding="utf-8")
    return out


def onnxruntime_web(js: Path) -> Path:
    """onnxruntime-web's dist/ folder at ORT_VERSION with the files the page loads: in the package's node_modules
    (a checkout after `npm ci`), else in the current folder's (`npm install onnxruntime-web@ORT_VERSION`)."""
    places = [js / "node_modules" / "onnxruntime-web", Path.cwd() / "node_modules" / "onnxruntime-web"]
    for place in places:
        if all((place / "dist" / name).is_file() for name in ORT_FILES):
            try:
                version = json.loads((place / "package.json").read_text(encoding="utf-8")).get("version")
            except (OSError, ValueError, AttributeError):
                version = None
            if version != ORT_VERSION:
                raise InvalidInputError(f"export-web needs onnxruntime-web {ORT_VERSION}, found {version} in {place} "
                                        f"(npm install onnxruntime-web@{ORT_VERSION})")
            return place / "dist"
    raise InvalidInputError(f"export-web needs onnxruntime-web {ORT_VERSION}'s WebAssembly files (15 MB, from npm): "
                            f"run `npm install onnxruntime-web@{ORT_VERSION} --ignore-scripts` in this folder, or "
                            f"`npm ci --ignore-scripts` in a checkout's js/; looked in "
                            f"{', '.join(str(place / 'dist') for place in places)}")


def page(served: str) -> str:
    """`infogan serve`'s index.html as a static page: relative paths, the import map, the in-browser backend."""
    head = (f'<script type="importmap">{json.dumps({"imports": IMPORTS})}</script>\n'
            '  <script type="module" src="static/local.js"></script>\n'
            '  <script src="static/app.js" defer></script>')
    replaced = (served.replace('<script src="/static/app.js" defer></script>', head)
                .replace('href="/static/style.css"', 'href="static/style.css"')
                .replace('<a href="/docs">API docs</a>', '<span class="hint">runs in your browser: no server</span>'))
    replaced = re.sub(r"<code>POST (/v1/\w+)[^<]*</code>", _in_browser, replaced)
    if replaced.count("static/local.js") != 1 or "/static/" in replaced or "/v1/" in replaced:
        raise AssertionError("serve/static/index.html changed: update export-web's page()")
    return replaced


def _in_browser(call: re.Match[str]) -> str:
    """A hint's `POST /v1/...` as the SDK call the static page makes (unknown endpoints stay, and page() refuses)."""
    method = IN_BROWSER.get(call.group(1))
    return f"<code>{method}</code> (in this page)" if method else call.group(0)
