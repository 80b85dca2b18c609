"""infogan_sdk: generate MNIST digits from InfoGAN codes and read the codes of digit images, on onnxruntime.

    >>> from infogan_sdk import Generator, Encoder
    >>> sevens = Generator().generate(digits=7, count=16, seed=0)
    >>> sevens.grid().save("sevens.png")
    >>> Encoder().infer(sevens.images).digits
    array([7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7])

Importing the package loads no model, creates no directory and never imports torch.
"""

from infogan_sdk.datasets.writers import write_dataset
from infogan_sdk.encoder import Encoder
from infogan_sdk.errors import (
    CorruptModelError,
    DeviceUnavailableError,
    IncompatibleModelError,
    InfoGANError,
    InvalidInputError,
    ModelNotFoundError,
    OutputError,
    OutputExistsError,
)
from infogan_sdk.generator import Generator
from infogan_sdk.loading.folders import available_models
from infogan_sdk.loading.sessions import environment
from infogan_sdk.results import FileBatch, GenerateResult, InferResult
from infogan_sdk.spec import LatentSpec

__version__ = "0.1.0"  # keep equal to pyproject.toml's version (a test checks)

__all__ = [
    "CorruptModelError",
    "DeviceUnavailableError",
    "Encoder",
    "FileBatch",
    "GenerateResult",
    "Generator",
    "IncompatibleModelError",
    "InferResult",
    "InfoGANError",
    "InvalidInputError",
    "LatentSpec",
    "ModelNotFoundError",
    "OutputError",
    "OutputExistsError",
    "__version__",
    "available_models",
    "environment",
    "write_dataset",
]
