"""Every test reads MNIST from the shared folder beside the repository; no test downloads anything."""

import os
from pathlib import Path

os.environ.setdefault("INFOGAN_MNIST_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"))
