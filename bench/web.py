"""`python -m bench.web`: the JavaScript package against the Python SDK, and the static playground in Chromium.

    python -m bench.web [--threads 1,2] [--batch 256] [--repeats 20] [--json FILE]

Node (onnxruntime-node) and the Python SDK generate and read a batch on the same machine and thread counts; in
headless Chromium (onnxruntime-web, wasm, one thread: a static server sends no cross-origin isolation headers) it
times one generate image, the reading of one digit drawn on the 280x280 canvas (preprocessing included), and a
fresh page's load to its first generated image. Needs js/node_modules and /usr/bin/chromium. Prints the tables
(docs/BENCHMARKS.md's, from `--json docs/results/web.json`).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.timing import describe, finished, machine
from infogan_sdk import Encoder, Generator
from infogan_sdk.cli.arguments import Parser
from infogan_sdk.cli.web import REPOSITORY_JS, export_web

CHROMIUM = "/usr/bin/chromium"
IN_PAGE = """async (repeats) => {
  const { generator, encoder } = await window.infoganLocal.ready;
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 280;
  const pen = canvas.getContext("2d");
  pen.fillStyle = "#000"; pen.fillRect(0, 0, 280, 280);
  Object.assign(pen, { strokeStyle: "#fff", lineWidth: 20, lineCap: "round" });
  pen.beginPath(); pen.moveTo(70, 56); pen.lineTo(210, 56); pen.lineTo(126, 238); pen.stroke();  // a 7
  const median = async (job) => {
    await job();
    const times = [];
    for (let i = 0; i < repeats; i += 1) {
      const t = performance.now(); await job(); times.push(performance.now() - t);
    }
    return times.sort((a, b) => a - b)[times.length >> 1];
  };
  let seed = 0;
  return { generate_ms: await median(() => generator.generate({ digits: 7, seed: seed++ })),
           infer_ms: await median(() => encoder.infer(canvas)), read: (await encoder.infer(canvas)).digits[0] };
}"""


def median_time(job: Callable[[], Any], repeats: int) -> float:
    job()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def python_rates(threads: int, batch: int, repeats: int) -> dict[str, float]:
    generator, encoder = Generator(device="cpu", threads=threads), Encoder(device="cpu", threads=threads)
    images = generator.generate(count=batch, seed=0).images
    return {"generate": batch / median_time(lambda: generator.generate(count=batch, seed=0), repeats),
            "infer": batch / median_time(lambda: encoder.infer(images), repeats)}


def node_rates(threads: int, batch: int, repeats: int) -> dict[str, float]:
    out = subprocess.run(["node", "bench/node.js", "--threads", str(threads), "--batch", str(batch), "--repeats",
                          str(repeats)], cwd=REPOSITORY_JS, capture_output=True, text=True, check=True, timeout=600)
    answer = json.loads(out.stdout)
    return {"generate": answer["generate_images_per_s"], "infer": answer["infer_images_per_s"]}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def browser_times(site: Path, repeats: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless"])
            loads = []
            for _ in range(3):  # a fresh context each time: nothing cached
                context = browser.new_context()
                page = context.new_page()
                start = time.perf_counter()
                page.goto(url)
                page.wait_for_function("document.getElementById('generated-image').src.startsWith('data:')",
                                       timeout=60_000)
                loads.append(time.perf_counter() - start)
                context.close()
            page = browser.new_page()
            page.goto(url)
            timed = page.evaluate(IN_PAGE, repeats)
            return {**timed, "load_s": statistics.median(loads), "version": browser.version}
    finally:
        server.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m bench.web", description=__doc__,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--json", default=None, help="also write the figures and the machine to this file "
                                                      "(docs/results/web.json is docs/BENCHMARKS.md's)")
    args = parser.parse_args(argv)
    meta = machine(["python", "-m", "bench.web", *(sys.argv[1:] if argv is None else argv)])
    rows = [{"threads": threads, "python": python_rates(threads, args.batch, args.repeats),
             "node": node_rates(threads, args.batch, args.repeats)} for threads in map(int, args.threads.split(","))]
    with tempfile.TemporaryDirectory() as temporary:
        site = export_web(Path(temporary) / "site", "mnist", REPOSITORY_JS)
        size = sum(path.stat().st_size for path in site.rglob("*") if path.is_file())
        chromium = {**browser_times(site, args.repeats), "site_mb": size / 1e6}
    results = {"meta": {**finished(meta), "batch": args.batch, "repeats": args.repeats}, "rows": rows,
               "chromium": chromium}
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"machine: {describe(results['meta'])}\n\n{render_node(results)}\n{render_chromium(results)}", end="")
    return 0


def render_node(results: dict[str, Any]) -> str:
    """Node beside the Python SDK, images/s at the run's batch, per thread count (a Markdown table)."""
    lines = [f"Batch {results['meta']['batch']}, medians of {results['meta']['repeats']} calls.", "",
             "| runtime | threads | generate images/s | infer images/s | vs Python SDK |", "|---|---|---|---|---|"]
    for row in results["rows"]:
        python, node = row["python"], row["node"]
        lines += [f"| Python SDK | {row['threads']} | {python['generate']:,.0f} | {python['infer']:,.0f} | 1 |",
                  f"| Node | {row['threads']} | {node['generate']:,.0f} | {node['infer']:,.0f} | generate "
                  f"{node['generate'] / python['generate']:.0%}, infer {node['infer'] / python['infer']:.0%} |"]
    return "\n".join(lines) + "\n"


def render_chromium(results: dict[str, Any]) -> str:
    """The static playground in headless Chromium (a Markdown table)."""
    web = results["chromium"]
    return (f"Chromium {web['version']} (onnxruntime-web wasm, 1 thread), static folder {web['site_mb']:.1f} MB:\n\n"
            f"| measured | median |\n|---|---|\n| one generate image | {web['generate_ms']:.2f} ms |\n"
            f"| infer one drawn digit (280x280 canvas, preprocessing included; read as {web['read']}) | "
            f"{web['infer_ms']:.2f} ms |\n| fresh page: load to first generated image | {web['load_s']:.2f} s |\n")

if __name__ == "__main__":
    raise SystemExit(main())
