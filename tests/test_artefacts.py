"""The built artefacts, installed as a user installs them, away from the checkout: the wheel into a fresh venv (its
dependencies from the package index, nothing else), the npm tarball into a fresh folder. Each runs README's main job
on the bundled default model: digits drawn to PNG files and read back. `infogan export-web` runs from the wheel.

Slow (about a minute with warm pip and npm caches): builds, a venv and two installs. Needs network access to the
package registries or their caches; npm and node (CI installs them)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
DIGITS = list(range(10))


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 300) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(command)} -> {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _clean_env(bin_dir: Path | None = None) -> dict[str, str]:
    """The environment without the checkout: no PYTHONPATH, the venv's bin/ first on PATH."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    if bin_dir is not None:
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("npm and node are missing (CI=true: .ci/run installs them)")
        pytest.skip("npm and node are missing")
    return npm


def _copy_of_the_checkout(target: Path) -> Path:
    """The files git would see (tracked, and untracked but not ignored), copied: the wheel is built from them alone,
    and its build/ folder stays out of the checkout (a stale build/lib would leak deleted modules into wheels)."""
    listed = _run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT)
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding only the wheel built from this checkout and its declared dependencies; returns bin/."""
    base = tmp_path_factory.mktemp("wheel")
    source = _copy_of_the_checkout(base / "source")
    _run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-q",
          "-w", str(base / "dist")], cwd=base)
    (wheel,) = (base / "dist").glob("infogan_sdk-*.whl")
    # four bundled models of at most 8 MB each, and the code
    assert wheel.stat().st_size < 34e6, f"the wheel is {wheel.stat().st_size / 1e6:.1f} MB"
    venv.create(base / "venv", with_pip=True, clear=True)  # no system site-packages: only what the wheel needs
    bin_dir = base / "venv" / "bin"
    _run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
         cwd=base, env=_clean_env(bin_dir))
    return bin_dir


@pytest.fixture(scope="module")
def npm_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh folder holding only the npm tarball packed from js/ (and its dependencies); returns the folder."""
    npm = _npm()
    base = tmp_path_factory.mktemp("npm")
    packed = _run([npm, "pack", "--json", "--pack-destination", str(base)], cwd=ROOT / "js")
    report = json.loads(packed)[0]
    shipped = {entry["path"] for entry in report["files"]}
    assert {"model/manifest.json", "model/generator.onnx", "model/encoder.onnx", "src/files.js"} <= shipped
    assert report["size"] < 10e6, f"the tarball is {report['size'] / 1e6:.1f} MB"
    assert not (ROOT / "js" / "model").exists()  # postpack took the copy away: a checkout reads the Python SDK's
    folder = base / "user"
    folder.mkdir()
    (folder / "package.json").write_text('{"name": "user", "private": true, "type": "module"}\n')
    _run([npm, "install", str(base / report["filename"]), "--ignore-scripts", "--prefer-offline", "--no-audit",
          "--no-fund"], cwd=folder, timeout=600)
    return folder


def test_the_wheel_runs_the_main_job_outside_the_checkout(wheel_venv: Path, tmp_path: Path) -> None:
    env = _clean_env(wheel_venv)
    where = _run([str(wheel_venv / "python"), "-c", "import infogan_sdk; print(infogan_sdk.__file__)"], tmp_path, env)
    assert str(wheel_venv.parent) in where and str(ROOT) not in where  # the installed copy, not the checkout
    digits = ",".join(map(str, DIGITS))
    _run([str(wheel_venv / "infogan"), "generate", "--digit", digits, "--seed", "0", "--separate", "-o", "digits"],
         tmp_path, env)
    files = sorted(str(path) for path in (tmp_path / "digits").glob("*.png"))
    assert len(files) == 10
    rows = json.loads(_run([str(wheel_venv / "infogan"), "infer", *files, "--format", "json"], tmp_path, env))
    read = [row["digit"] for row in rows]
    assert sum(a == b for a, b in zip(read, DIGITS, strict=True)) >= 9, read  # its own drawings, read back


def test_export_web_runs_from_the_wheel(wheel_venv: Path, npm_folder: Path, tmp_path: Path) -> None:
    """The wheel carries the browser sources; onnxruntime-web comes from the current folder's node_modules."""
    env = _clean_env(wheel_venv)
    work = tmp_path / "elsewhere"
    work.mkdir()
    failed = subprocess.run([str(wheel_venv / "infogan"), "export-web", "site"], cwd=work, env=env,
                            capture_output=True, text=True, timeout=120)
    assert failed.returncode == 1 and "npm install onnxruntime-web@" in failed.stderr, failed.stderr
    _run([str(wheel_venv / "infogan"), "export-web", str(tmp_path / "site")], npm_folder, env)
    html = (tmp_path / "site" / "index.html").read_text()
    assert "/v1/" not in html  # no server behind the static page: it names no API
    assert (tmp_path / "site" / "ort" / "ort-wasm-simd-threaded.wasm").stat().st_size > 1e6
    assert (tmp_path / "site" / "infogan-sdk" / "core.js").is_file()
    assert not (tmp_path / "site" / "infogan-sdk" / "files.js").exists()  # Node only


MAIN_JOB = """
import { writeFile } from "node:fs/promises";
import { Encoder, encodePNG, Generator } from "infogan-sdk";
const gen = await Generator.load();
const out = await gen.generate({ digits: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], seed: 0 });
const files = [];
for (let i = 0; i < out.count; i += 1) {
  files.push(`digit-${i}.png`);
  await writeFile(files[i], encodePNG({ width: 28, height: 28, data: out.image(i) }));
}
const read = await (await Encoder.load()).infer(files);
console.log(JSON.stringify({ model: gen.info.name, digits: Array.from(read.digits) }));
"""


def test_the_npm_tarball_runs_the_main_job_with_its_own_model(npm_folder: Path) -> None:
    (npm_folder / "main.js").write_text(MAIN_JOB)
    result = json.loads(_run(["node", "main.js"], npm_folder, _clean_env()))
    assert result["model"] == "mnist"
    assert sum(a == b for a, b in zip(result["digits"], DIGITS, strict=True)) >= 9, result
    shipped, bundled = npm_folder / "node_modules" / "infogan-sdk" / "model", ROOT / "infogan_sdk" / "models" / "mnist"
    assert (shipped / "encoder.onnx").read_bytes() == (bundled / "encoder.onnx").read_bytes()
