"""Section 4: cold start, each run in a fresh interpreter: start -> import -> load the model -> first image.

The child reports wall-clock timestamps (time.time(), comparable with the parent's spawn time), its peak
RSS (getrusage ru_maxrss) and whether torch ended up in sys.modules. The PyTorch path is what a PyTorch
user runs: import torch and the network code, build the generator, torch.load its state_dict, first forward.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from train.config import ModelConfig
from train.networks import Generator

REPO = Path(__file__).resolve().parents[1]
PHASES = ("interpreter", "import", "load", "first_image", "total")

_REPORT = """
done = time.time()
import re
try:  # Linux: this process's own peak; ru_maxrss would also keep the parent's peak from before the exec
    peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)) / 1024
except OSError:
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 if sys.platform != "darwin" else 1 << 20)
print(json.dumps({"started": started, "imported": imported, "loaded": loaded, "done": done,
                  "peak_rss_mb": peak, "torch_imported": "torch" in sys.modules}))
"""
SDK_CHILD = """import time; started = time.time()
import json, sys
import infogan_sdk
imported = time.time()
generator = infogan_sdk.Generator(sys.argv[1], device="cpu", threads=int(sys.argv[2]))
loaded = time.time()
generator.generate(count=1, seed=0).images
""" + _REPORT
TORCH_CHILD = """import time; started = time.time()
import json, sys
import torch
from train.config import ModelConfig
from train.losses import sample_latent
from train.networks import Generator
from train.pixels import to_uint8
imported = time.time()
torch.set_num_threads(int(sys.argv[2]))
config = ModelConfig.from_dict(json.loads(open(sys.argv[1] + "/model_config.json").read()))
generator = Generator(config)
generator.load_state_dict(torch.load(sys.argv[1] + "/generator.pt"))
generator.eval()
loaded = time.time()
with torch.inference_mode():
    latent = sample_latent(config.latent, 1, torch.Generator().manual_seed(0), torch.device("cpu"))
    to_uint8(generator(latent.noise, latent.categorical, latent.continuous), config.latent)
""" + _REPORT


def run_child(script: str, *args: str) -> dict[str, Any]:
    """One fresh interpreter (cwd: the repository, so both paths import the same code); phases in ms."""
    spawned = time.time()
    done = subprocess.run([sys.executable, "-c", script, *args], cwd=REPO, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"cold-start child failed ({done.returncode}): {done.stderr[-2000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    stamps = (spawned, report["started"], report["imported"], report["loaded"], report["done"])
    phases = {name: 1e3 * (stamps[i + 1] - stamps[i]) for i, name in enumerate(PHASES[:-1])}
    phases["total"] = 1e3 * (report["done"] - spawned)
    return {**phases, "peak_rss_mb": report["peak_rss_mb"], "torch_imported": report["torch_imported"]}


def cold_start(model_dir: Path, config: ModelConfig, generator: Generator, threads: int, runs: int) -> dict[str, Any]:
    """SDK vs PyTorch: the median of `runs` fresh subprocesses per phase, and the peak RSS."""
    results: dict[str, Any] = {"threads": threads, "runs": runs}
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as folder:
        (Path(folder) / "model_config.json").write_text(json.dumps(config.to_dict()))
        torch.save(generator.state_dict(), Path(folder) / "generator.pt")
        for name, script, argument in (("sdk", SDK_CHILD, str(model_dir)), ("torch", TORCH_CHILD, folder)):
            samples = [run_child(script, argument, str(threads)) for _ in range(runs)]
            results[name] = {key: float(np.median([s[key] for s in samples])) for key in (*PHASES, "peak_rss_mb")}
            results[name]["torch_imported"] = any(s["torch_imported"] for s in samples)
    return results
