"""The docs site's generated pages (a mkdocs hook, mkdocs.yml `hooks:`), so no figure or name is typed twice.

At build time it adds, from the repository as it is:
- `models/NAME.md`, a card per bundled model: its manifest's description and commands, its images, and the
  tables `python -m evaluate NAME --stored --markdown` prints from the manifest;
- `api.md`, the API reference: one mkdocstrings block per name in `infogan_sdk.__all__` (`DoctestBlocks`, a
  griffe extension, shows the docstrings' `>>>` examples as code);
and fills, in any page, `<!-- model table -->` with `evaluate.card.overview` of the bundled manifests and
`{{ MODEL:dotted.key:format }}` with that manifest value (e.g. `{{ mnist:evaluation.q_accuracy_test:.2% }}`).
"""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import griffe
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `mkdocs` loads this file by path; evaluate/ is importable from a checkout only
    sys.path.insert(0, str(ROOT))

import infogan_sdk  # noqa: E402
from evaluate.card import bundled_manifests, overview  # noqa: E402
from infogan_sdk.loading.folders import DEFAULT_MODEL  # noqa: E402

IMAGES = ("digits", "edits", "width", "rotation", "thickness", "curves")  # scripts/docs_images.py writes these
MODEL_TABLE = "<!-- model table -->"
VALUE = re.compile(r"\{\{ ([\w-]+):([\w.]+)(?::([^ }]*))? \}\}")


manifests = cache(bundled_manifests)


def model_table() -> str:
    return overview(manifests())


def value(model: str, key: str, spec: str) -> str:
    """One manifest value, formatted (`spec`: a format spec such as `.2%`, or empty)."""
    found: Any = manifests()[model]
    for part in key.split("."):
        found = found[part]
    return format(found, spec)


def card_tables(name: str) -> str:
    result = subprocess.run([sys.executable, "-m", "evaluate", name, "--stored", "--markdown"], cwd=ROOT,
                            capture_output=True, text=True, check=True, timeout=120)
    return result.stdout


def model_page(name: str) -> str:
    manifest, training = manifests()[name], manifests()[name]["training"]
    stages = [training["stage1"]["command"]] if "stage1" in training else []
    stages += [training["command"]] + ([manifest["noise_encoder"]["command"]] if "noise_encoder" in manifest else [])
    shown = [kind for kind in IMAGES if (ROOT / "docs" / f"{name}-{kind}.png").is_file()]
    images = [f"![{name} {kind}](../{name}-{kind}.png)" for kind in shown]
    lines = [f"# `{name}`{' (default)' if name == DEFAULT_MODEL else ''}", "", manifest.get("description") or "", "",
             "## How it was trained", "", f"{len(stages)} stage(s), each one command (as the manifest records it):",
             "", "```bash", *stages, "```", ""]
    if images:
        lines += ["## Samples", "", "Rows are digits 0-9; a code's image sweeps it from -2 to 2 "
                  "(`python -m scripts.docs_images` draws them).", "", *images, ""]
    lines += ["## Measured", "", f"`python -m evaluate {name} --stored --markdown`, from the manifest; "
              "[how each figure is measured](../models.md#how-the-figures-are-measured).", "", card_tables(name)]
    return "\n".join(lines)


class DoctestBlocks(griffe.Extension):
    """Fence each run of `>>>` lines (and their output) in a docstring as a pycon block: the SDK's docstrings hold
    plain doctests, which Markdown would otherwise read as text (and `x[0]["digit"]` as a link)."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = fence_doctests(obj.docstring.value)


def fence_doctests(text: str) -> str:
    out: list[str] = []
    inside = False
    for line in text.splitlines():
        starts = line.lstrip().startswith(">>>")
        if starts and not inside:
            out += ["", "```pycon"]
            inside = True
        elif inside and not line.strip():
            out.append("```")
            inside = False
        out.append(line.strip() if inside else line)
    return "\n".join([*out, "```"] if inside else out)


def api_page() -> str:
    names = [name for name in infogan_sdk.__all__ if not name.startswith("_")]
    blocks = [f"::: infogan_sdk.{name}" for name in names]
    return ("# API reference\n\nEvery public name of `infogan_sdk` (its `__all__`), from the docstrings. "
            f"The package's version is `infogan_sdk.__version__` ({infogan_sdk.__version__}).\n\n"
            + "\n\n".join(blocks) + "\n")


def on_files(files: Files, config: MkDocsConfig) -> Files:
    for name in manifests():
        files.append(File.generated(config, f"models/{name}.md", content=model_page(name)))
    files.append(File.generated(config, "api.md", content=api_page()))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    markdown = markdown.replace(MODEL_TABLE, model_table())
    return VALUE.sub(lambda match: value(match.group(1), match.group(2), match.group(3) or ""), markdown)
