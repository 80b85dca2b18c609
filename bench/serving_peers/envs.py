"""Each peer's own virtual environment under the user's cache ($XDG_CACHE_HOME/infogan-sdk/bench-peers/<peer>), so
their pins (MLServer's fastapi 0.115, PyTriton's numpy < 2) never touch the main environment:

    python -m bench.serving_peers.envs                  # make every missing one (minutes; needs PyPI)
    python -m bench.serving_peers.envs pytriton ray-serve
    python -m bench.serving_peers.envs kserve           # KServe's client, for tests/serve/test_kserve_client.py

The releases are those measured (docs/BENCHMARKS.md). PyTriton's Python stub fails under a Python built with
another CPython patch level than the one it was built against ('_thread.RLock' object has no attribute
'_recursion_count' under 3.11.7), so its venv is made from Debian's /usr/bin/python3 (3.11.2).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SDK = ("numpy", "onnxruntime==1.32.0", "pillow")  # what `work` imports; numpy as each peer pins it


@dataclass(frozen=True)
class Recipe:
    """How to make a peer's venv: which Python, which packages, and the script that serves with it."""

    python: str
    packages: tuple[str, ...]
    script: str  # module under bench.serving_peers


PEERS = {
    "pytriton": Recipe("/usr/bin/python3", ("nvidia-pytriton==0.7.0", *SDK), "pytriton_app"),
    "mlserver": Recipe(sys.executable, ("mlserver==1.7.1", *SDK), "mlserver_app"),
    "ray-serve": Recipe(sys.executable, ("ray[serve]==2.60.0", *SDK), "rayserve_app"),
    "litserve": Recipe(sys.executable, ("litserve==0.2.19", *SDK), "litserve_app"),
}
# not a peer: KServe's Python client, for tests/serve/test_kserve_client.py (it needs pandas < 3, the main
# environment has 3.x, and would add kubernetes and grpcio-tools)
CLIENTS = {"kserve": Recipe(sys.executable, ("kserve==0.21.0",), "")}
VENVS = {**PEERS, **CLIENTS}


def root() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "infogan-sdk" / "bench-peers"


def python(peer: str) -> Path:
    """The venv's interpreter (it may not exist: see `missing`)."""
    return root() / peer / "bin" / "python"


def missing(peer: str) -> str | None:
    """Why `peer` cannot run here, or None."""
    recipe = VENVS[peer]
    if not Path(recipe.python).is_file():
        return f"not installed: its venv needs {recipe.python}, which this machine lacks"
    if not python(peer).is_file():
        return f"not installed: python -m bench.serving_peers.envs {peer} (into {root() / peer})"
    return None


def make(peer: str) -> None:
    """Create the venv and install the recipe's packages (raises CalledProcessError naming the failing step)."""
    recipe, folder = VENVS[peer], root() / peer
    subprocess.run([recipe.python, "-m", "venv", str(folder)], check=True)
    subprocess.run([str(python(peer)), "-m", "pip", "install", "-q", *recipe.packages], check=True)


def main(argv: list[str] | None = None) -> int:
    names = (argv if argv is not None else sys.argv[1:]) or list(VENVS)
    for peer in names:
        if peer not in VENVS:
            print(f"unknown venv {peer!r}; choose from {', '.join(VENVS)}", file=sys.stderr)
            return 2
        if python(peer).is_file():
            print(f"{peer}: ready ({root() / peer})")
            continue
        print(f"{peer}: installing {' '.join(VENVS[peer].packages)} into {root() / peer}")
        make(peer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
