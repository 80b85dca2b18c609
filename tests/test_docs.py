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


# --- measured figures: only in generated blocks (python -m bench.docs) ------------------------------------------
PAGES = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
UNITS = (r"ns|µs|us|ms|sec|seconds?|minutes?|hours?|req/s|requests/s|calls/s|images/s|img/s|files/s|steps/s|"
         r"kB|KB|KiB|MB|MiB|GB|GiB|TB|MB/s|GFLOP/s|GFLOP|MFLOP|M FLOP")
NUMBER = r"(?<![\w.])\d(?:[\d,]*\d)?(?:\.\d+)?"
RANGE = rf"{NUMBER}(?:\s?(?:-|to)\s?\d(?:[\d,]*\d)?(?:\.\d+)?)?"  # 0.6-1.3
MEASURED = re.compile(rf"{RANGE}\s?(?:{UNITS})(?![\w/])|{RANGE} s(?![\w/])"  # seconds need the space: 200s are statuses
                      rf"|{NUMBER}x(?!\w)"  # a ratio, 2.5x (28x28 is a size: no match)
                      r"|(?:(?<![\w.])\d[\d,]*\.\d+%?(?:[\s|()]+|$)){3,}")  # a pasted table row: 0.511  2.162  0.24
# Figures that are not measurements. Each is a limit the code or the tests hold, checked below where it can be.
ALLOWED = (
    r"8 MB budget",  # a model folder's size budget (tests/train/test_resolutions.py, tests/evaluate/...shipped_models)
    r"\| headers \| 16 KiB \|",  # SERVICE.md's limits table: infogan_sdk/serve/guards.py MAX_HEADER_BYTES
    r"finish for 5 s",  # SERVICE.md, shutdown: infogan_sdk/serve/server.py GRACEFUL_SECONDS
)
GENERATED = re.compile(r"<!-- generated: .*?<!-- end generated -->|<!-- model table:.*?<!-- end of model table -->",
                       re.DOTALL)


def measured_figures(text: str) -> list[str]:
    """`line: figure` for each measured-looking figure outside the generated blocks (and README's model table,
    which test_readme_model_table_is_the_manifests holds to the manifests)."""
    text = GENERATED.sub(lambda block: "\n" * block.group(0).count("\n"), text)
    for allowed in ALLOWED:
        text = re.sub(allowed, "", text)
    return [f"{number}: {found.group(0)!r} in {line.strip()[:100]!r}"
            for number, line in enumerate(text.splitlines(), 1) for found in MEASURED.finditer(line)]


def test_no_page_quotes_a_measured_figure_outside_a_generated_block() -> None:
    found = {page.name: figures for page in PAGES if (figures := measured_figures(page.read_text(encoding="utf-8")))}
    assert found == {}, "figures typed by hand: make them a generated block (python -m bench.docs) or drop them"


def test_the_allowed_figures_are_the_code_s_limits() -> None:
    from infogan_sdk.serve import guards, server
    assert guards.MAX_HEADER_BYTES == 16 * 1024 and server.GRACEFUL_SECONDS == 5
    pages = "".join(page.read_text(encoding="utf-8") for page in PAGES)
    assert all(re.search(allowed, pages) for allowed in ALLOWED), "an allowed figure no page uses: drop it"


def test_the_scanner_finds_hand_typed_figures() -> None:
    """The check can fail: latencies, rates, sizes and ratios are found; sizes like 28x28 and counts are not."""
    text = ("p50 0.21 ms; 1,540 images/s; 2.5x faster; 0.6-1.3 s; 610 MB\n28x28 and 2048x2048 images; 4000 tried\n"
            "      1     1 p50 ms         0.511      2.162    0.24\n")
    assert [figure.split(": ", 1)[1].split(" in ")[0] for figure in measured_figures(text)] == \
        ["'0.21 ms'", "'1,540 images/s'", "'2.5x'", "'0.6-1.3 s'", "'610 MB'", "'0.511      2.162    0.24'"]
    assert measured_figures("<!-- generated: results/bench.json cold -->\n7 ms\n<!-- end generated -->\n") == []


def test_every_generated_block_is_what_its_results_file_gives() -> None:
    from bench.docs import BLOCK, stale
    assert sum(len(BLOCK.findall(page.read_text(encoding="utf-8"))) for page in PAGES) >= 20
    assert stale(PAGES) == [], "python -m bench.docs --write (or rerun the command that writes the results file)"


def test_a_changed_results_file_or_a_hand_edited_table_is_stale() -> None:
    """The check can fail both ways: a figure changed in the results file, or in the page's copy of its table."""
    import json

    from bench.docs import DOCS, refreshed, render, stale_blocks
    text = (ROOT / "docs" / "BENCHMARKS.md").read_text(encoding="utf-8")
    results = json.loads((DOCS / "results" / "bench.json").read_text(encoding="utf-8"))
    results["cold_start"]["sdk"]["total"] += 1000.0
    changed = refreshed(text, lambda source: results if source == "results/bench.json" else
                        json.loads((DOCS / source).read_text(encoding="utf-8")))
    assert changed != text and render("results/bench.json", "cold", results) in changed
    assert render("results/bench.json", "cold") in text
    edited = text.replace(render("results/bench.json", "cold"), render("results/bench.json", "cold", results))
    assert stale_blocks(text) == [] and stale_blocks(edited) == ["results/bench.json cold"]
    assert refreshed(edited) == text
