"""README and the docs site: short, current, linked. README's model table is the manifests' (`evaluate.card.overview`),
its commands are the ones CI runs, its relative links resolve; the site builds with `mkdocs build --strict` (broken
links and anchors fail it) with an API entry for every public name and a card per bundled model."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import infogan_sdk
from evaluate.card import bundled_manifests, overview

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
TABLE = re.compile(r"<!-- model table:[^>]*-->\n(.*?)<!-- end of model table -->\n", re.DOTALL)


def test_readme_is_a_short_read_without_history() -> None:
    assert len(README.splitlines()) <= 200
    for history in (r"(?<!/)\bv[2-9]\b", r"What changed", r"\bpreviously\b", r"\bused to\b", r"[Rr]etired"):
        assert re.search(history, README) is None, f"history in README ({history}): it belongs in CHANGELOG.md"


def test_readme_model_table_is_the_manifests() -> None:
    found = TABLE.search(README)
    assert found is not None, "README lost its model table markers"
    expected = overview(bundled_manifests()) + "\n"
    assert found.group(1) == expected, f"README's model table is stale; the manifests give:\n{expected}"


def test_the_table_follows_a_changed_manifest() -> None:
    """The check can fail: a manifest whose figure moves gives another table."""
    manifests = bundled_manifests()
    changed = {name: dict(manifest) for name, manifest in manifests.items()}
    default = next(iter(changed))
    changed[default]["evaluation"] = {**changed[default]["evaluation"], "q_accuracy_test": 0.5}
    assert "50.00%" in overview(changed) and overview(changed) != overview(manifests)


def test_readme_links_resolve() -> None:
    links = re.findall(r"\]\(([^)\s]+)\)", README)
    local = [link.split("#")[0] for link in links if not re.match(r"[a-z]+:", link) and not link.startswith("#")]
    assert len(local) >= 8
    missing = [link for link in local if not (ROOT / link).exists()]
    assert missing == []


def _steps(command: str) -> list[str]:
    return [step for step in command.split(" && ") if not step.startswith("pip install torch")]


def test_readme_holds_the_two_commands_ci_and_the_install_test_run() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    setup = next(line for line in ci.splitlines() if line.startswith("apt-get update"))
    shown = next(line for line in README.splitlines() if line.startswith("apt-get update"))
    # the test command as CI runs it, but for how torch is installed (CI pins the build its machine has)
    assert setup.endswith(" && ./scripts/test") and shown.endswith(" && ./scripts/test")
    assert _steps(shown) == _steps(setup)
    main_job = "pip install . && infogan generate --digit 0,1,2,3,4,5,6,7,8,9 --seed 0 --separate -o digits " \
               "&& infogan infer digits/*.png"
    assert main_job in README  # tests/test_artefacts.py runs it from the built wheel
    assert "--model" not in main_job  # the bundled default model


def test_the_docs_extra_is_installed_by_ci() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r"^docs = \[.*mkdocs-material.*mkdocstrings\[python\]", pyproject, re.MULTILINE)
    assert re.search(r'pip install -e "\.\[[a-z,]*\bdocs\b[a-z,]*\]"', (ROOT / ".ci" / "run").read_text())


@pytest.mark.slow
def test_the_docs_site_builds_strict_with_every_public_name_and_card(tmp_path: Path) -> None:
    if shutil.which("mkdocs") is None and os.environ.get("CI") != "true":
        pytest.skip("mkdocs is missing (pip install -e '.[docs]')")
    site = tmp_path / "site"
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)], cwd=ROOT,
                            capture_output=True, text=True, timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    names = [name for name in infogan_sdk.__all__ if not name.startswith("_")]
    assert [name for name in names if f'id="infogan_sdk.{name}"' not in api] == []
    assert f"({infogan_sdk.__version__})" in api
    for name, manifest in bundled_manifests().items():
        card = (site / "models" / name / "index.html").read_text(encoding="utf-8")
        assert f"{manifest['evaluation']['q_accuracy_test']:.2%}" in card
    models = (site / "models" / "index.html").read_text(encoding="utf-8")
    assert "{{" not in models and "<!-- model table -->" not in models
