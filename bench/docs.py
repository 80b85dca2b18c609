"""`python -m bench.docs`: the measured tables of docs/*.md and README.md, written from the committed results files.

A generated block names a results file (under docs/) and one of its tables; this module writes what is between
the markers, and nothing else may be:

    <!-- generated: results/bench.json inference -->
    ...
    <!-- end generated -->

    python -m bench.docs --write     # rewrite every block from docs/results/
    python -m bench.docs             # check: exit 1 naming each block that differs from its file

To refresh a results file, run the command that wrote it (each block's first line names it; `python -m bench.docs
--commands` lists them all), then `--write`. tests/test_docs.py fails on a stale block.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench import attack, report, web
from bench.timing import describe
from infogan_sdk.cli.arguments import Parser
from tests.hardening import report as hardening

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = (ROOT / "README.md", *sorted(DOCS.glob("*.md")))
BLOCK = re.compile(r"(<!-- generated: (\S+) (\S+) -->\n)(.*?)(<!-- end generated -->)", re.DOTALL)

Table = Callable[[dict[str, Any]], str]


def _text(section: Callable[[dict[str, Any]], list[str]], results: dict[str, Any]) -> str:
    """A table `python -m bench` prints, as it prints it."""
    return "```text\n" + "\n".join(section(results)).strip("\n") + "\n```\n"


BENCH: dict[str, Table] = {"header": partial(_text, report.header),
                           **{name: partial(_text, section) for name, section in report.SECTIONS.items()}}
HARDENING_REFRESH = ("rm -f docs/results/hardening.json docs/results/serve-fuzz.json && "
                     "INFOGAN_HARDENING_REPORT=docs/results/hardening.json "
                     "INFOGAN_SERVE_FUZZ_REPORT=docs/results/serve-fuzz.json python -m pytest -q "
                     '-m "slow or not slow" tests/hardening tests/serve/test_fuzz.py tests/serve/test_fuzz_oip.py')
# results file -> (the command that writes it, its tables by name)
FILES: dict[str, tuple[str, dict[str, Table]]] = {
    "results/bench.json": ("python -m bench --json docs/results/bench.json", BENCH),
    "results/serving.json": ("python -m bench --sections serving --json docs/results/serving.json", BENCH),
    "results/attack.json": ("python -m bench.attack --json docs/results/attack.json", {"attacks": attack.render}),
    "results/web.json": ("python -m bench.web --json docs/results/web.json",
                         {"node": web.render_node, "chromium": web.render_chromium}),
    "results/hardening.json": (HARDENING_REFRESH, {
        "fuzz": lambda r: hardening.render_outcomes(r["categories"], ("infer/", "generate/", "traverse/", "load/")),
        "bombs": hardening.render_bombs,
        "integrity": lambda r: hardening.render_outcomes(r["categories"], ("integrity/",)),
        "verification": hardening.render_verification,
        "soak": hardening.render_soak,
        "kills": hardening.render_kills,
        "faults": lambda r: hardening.render_outcomes(r["categories"], ("faults/", "infer_files/"))}),
    "results/serve-fuzz.json": (HARDENING_REFRESH, {
        "fuzz": lambda r: hardening.render_outcomes(r["categories"], ("",))}),
}


def render(source: str, table: str, results: dict[str, Any] | None = None) -> str:
    """The block's text for `table` of the results file `source` (relative to docs/): the command and the machine
    first (each run's, for a report merged from several), then the table. `results`: the file's contents, if
    already read (the tests alter them)."""
    if source not in FILES or table not in FILES[source][1]:
        known = {name: sorted(tables) for name, (_, tables) in FILES.items()}
        raise KeyError(f"no table {table!r} in {source!r}; known: {known}")
    command, tables = FILES[source]
    if results is None:
        results = json.loads((DOCS / source).read_text(encoding="utf-8"))
    runs = [results["meta"]] if "meta" in results else list(results["runs"].values())  # a merged hardening report
    machines = "; and ".join(f"by `{meta.get('command', command)}` on {describe(meta)}" for meta in runs)
    return f"Measured {machines} ([{source}]({source})):\n\n" + tables[table](results)


def refreshed(text: str, read: Callable[[str], dict[str, Any]] | None = None) -> str:
    """`text` with every generated block rewritten from its results file (`read`: source -> its contents)."""
    def block(match: re.Match[str]) -> str:
        source, table = match.group(2), match.group(3)
        return match.group(1) + render(source, table, read(source) if read else None) + match.group(5)
    return BLOCK.sub(block, text)


def stale_blocks(text: str) -> list[str]:
    """`source table` for every generated block of `text` that is not what its results file gives."""
    return [f"{match.group(2)} {match.group(3)}" for match in BLOCK.finditer(text)
            if match.group(4) != render(match.group(2), match.group(3))]


def stale(pages: tuple[Path, ...] = PAGES) -> list[str]:
    """`page: source table` for every stale generated block of `pages`."""
    return [f"{page.relative_to(ROOT)}: {block}" for page in pages
            for block in stale_blocks(page.read_text(encoding="utf-8"))]


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m bench.docs", description=__doc__,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="rewrite every generated block from its results file")
    parser.add_argument("--commands", action="store_true", help="print the command that writes each results file")
    args = parser.parse_args(argv)
    if args.commands:
        print("\n".join(dict.fromkeys(command for command, _ in FILES.values())))
        return 0
    if args.write:
        for page in PAGES:
            text = page.read_text(encoding="utf-8")
            if (new := refreshed(text)) != text:
                page.write_text(new, encoding="utf-8")
                print(f"wrote {page.relative_to(ROOT)}")
        return 0
    if found := stale():
        print("stale generated blocks (python -m bench.docs --write):\n" + "\n".join(found), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
