"""Finding a model folder (bundled name or path) and what Generator and Encoder share: manifest + session."""

from __future__ import annotations

import copy
import os
import reprlib
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infogan_sdk.errors import IncompatibleModelError, InvalidInputError, ModelNotFoundError, shown
from infogan_sdk.loading.codebook import ContinuousCode, code_basis, read_codes
from infogan_sdk.loading.labels import CategoricalCode
from infogan_sdk.loading.lanes import LANE_ROWS, Lanes, lane_count
from infogan_sdk.loading.manifest import MANIFEST_NAME, load_manifest
from infogan_sdk.loading.mnist import code_to_digit
from infogan_sdk.loading.sessions import Session, open_session
from infogan_sdk.loading.variants import AUTO, fastest
from infogan_sdk.spec import LatentSpec

BUNDLED_DIR = Path(__file__).resolve().parents[1] / "models"  # package data: models/<name>/manifest.json
DEFAULT_MODEL = "mnist"
CHUNK_SIZE = 1024  # rows per onnxruntime call: bounds memory on big batches
# Bundled models no longer shipped: name -> what replaced it and where its files still are (the package bundles at
# most three models; the model cards, docs/models.md, say what each kept model is for)
RETIRED = {
    "mnist-unsupervised-v1": "retired on 2026-12-07: mnist-unsupervised (two stages) replaces it; its files are in "
                             "the repository's history (git archive 2315bdb infogan_sdk/models/mnist-unsupervised-v1 "
                             "| tar -x, then load that folder's path)",
}


def available_models() -> list[str]:
    """Names of the models bundled with the package (folders under infogan_sdk/models/), sorted."""
    if not BUNDLED_DIR.is_dir():
        return []
    return sorted(path.name for path in BUNDLED_DIR.iterdir() if (path / MANIFEST_NAME).is_file())


def resolve_model(model: str | os.PathLike[str]) -> Path:
    """A bundled model name (a plain `str` such as "mnist") or a path to a model folder -> the folder.

    Bundled names win over a same-named folder in the working directory; write "./mnist" for that.
    Raises ModelNotFoundError listing the bundled names.
    """
    if not isinstance(model, (str, os.PathLike)):
        raise InvalidInputError(f"model must be a bundled model name or a folder path, got {type(model).__name__}")
    names = available_models()
    if isinstance(model, str) and model in names:
        return BUNDLED_DIR / model
    path = Path(model)
    try:
        if path.exists():
            return path
    except OSError as error:  # exists() raises on e.g. a name too long or a folder it may not search
        raise ModelNotFoundError(f"model path {reprlib.repr(str(model))} cannot be read: {error.strerror}") from error
    if isinstance(model, str) and model in RETIRED:
        raise ModelNotFoundError(f"model {model!r} is no longer bundled: {RETIRED[model]}; bundled models: "
                                 f"{', '.join(names) if names else 'none installed'}")
    raise ModelNotFoundError(f"model {str(model)!r} is neither a bundled model nor an existing path; bundled models: "
                             f"{', '.join(names) if names else 'none installed'}")


class ModelBase:
    """Loads the manifest and one ONNX file of a model folder into a session; Generator and Encoder extend it.

    model: a bundled model name ("mnist", see `available_models()`) or a model folder path. The options are
    keyword-only. device: "auto" (CUDA when onnxruntime really runs on it, else CPU), "cpu", "cuda" or
    "cuda:N". providers / provider_options / session_options / threads: onnxruntime escape hatches (raw
    provider list, options of the chosen provider, an `onnxruntime.SessionOptions`, intra-op threads).
    spinning: whether idle intra-op threads busy-wait for work (onnxruntime's default: back-to-back calls are a
    little quicker, and a core stays busy between them) or sleep (False: for a process with other work to do,
    such as `infogan serve`).
    variant: another file of the model, e.g. "int8" (made by export/quantize.py; the bundled models ship
    none), or "auto": the fastest of the folder's files on this machine, timed once per process (`variant`
    then says which). verify: check the files' sha256 on load. chunk_size: images per onnxruntime call.
    Raises ModelNotFoundError, CorruptModelError, IncompatibleModelError, DeviceUnavailableError,
    InvalidInputError.
    """

    _role = ""  # "generator" or "encoder": the manifest's file role
    _has_lanes = False  # whether big batches run in lanes (infogan_sdk.loading.lanes: measured per role)

    def __init__(self, model: str | os.PathLike[str] = DEFAULT_MODEL, *, device: str = "auto",
                 providers: Sequence[Any] | None = None, provider_options: Mapping[str, Any] | None = None,
                 session_options: Any = None, threads: int | None = None, spinning: bool = True,
                 variant: str | None = None, verify: bool = True, chunk_size: int = CHUNK_SIZE) -> None:
        if variant is not None and (not isinstance(variant, str) or not variant.isidentifier()):
            raise InvalidInputError(f"variant must be a name such as 'int8' or 'fp16', got {shown(variant)}")
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise InvalidInputError(f"chunk_size must be a positive integer, got {shown(chunk_size)}")
        self._manifest = load_manifest(resolve_model(model), verify=verify)
        if self._manifest.spec.image_shape[0] not in (1, 3):
            raise IncompatibleModelError(f"{self.path}: the SDK runs grey (1 channel) and RGB (3) models, got "
                                         f"image_shape {list(self._manifest.spec.image_shape)}")
        self._codes = read_codes(self._manifest)
        self._code_to_digit = code_to_digit(self._manifest.categorical)
        self._continuous_names = tuple(code.name for code in self._codes)
        self._basis = code_basis(self._codes)  # None: users' values are the network's
        self._variant = variant
        # what another role of this folder is opened with (`Generator.edit` reads images with its encoder)
        self._options = {"device": device, "providers": providers, "provider_options": provider_options,
                         "session_options": session_options, "threads": threads, "spinning": spinning,
                         "verify": verify, "chunk_size": chunk_size}

        manifest, kind = self._manifest, self._role  # not `self`: a closure on self would make a reference cycle,
        # and a model then freed by the cyclic GC in a forked child hangs destroying onnxruntime's thread pools

        def open_file(role: str, session_threads: int | None = threads) -> Session:
            return open_session(manifest.read(role, verify), f"{kind} {manifest.file(role)}", device, providers,
                                provider_options, session_options, session_threads, spinning)

        self._session: Session
        if variant == AUTO:
            self._variant, self._session = fastest(self._manifest, self._role, device, threads, open_file)
        else:
            self._session = open_file(self._role if variant is None else f"{self._role}_{variant}")
        role = self._role if self._variant is None else f"{self._role}_{self._variant}"
        name = f"{self._role} {self._manifest.file(role)}"
        lanes = lane_count(threads)  # big batches across one-thread sessions, where the role gains by it
        self._lanes: Lanes | None = None
        self._open_lanes = (lambda: Lanes(lambda: open_file(role, 1), lanes)) if (
            self._has_lanes and lanes > 1 and self._session.device == "cpu" and providers is None
            and session_options is None) else None
        self._lanes_lock = threading.Lock()
        self.chunk_size = chunk_size
        self._check_io(name)
        self._check_session()

    def _network(self, outputs: Sequence[str], feeds: Mapping[str, NDArray[np.float32]],
                 rows: int) -> list[NDArray[np.float32]]:
        """The session's outputs for `rows` rows of feeds: in lanes from LANE_ROWS rows where the role has them."""
        if self._open_lanes is None or rows < LANE_ROWS:
            return self._session.run(outputs, feeds)
        with self._lanes_lock:  # opened on the first big batch: callers of small ones never pay for them
            if self._lanes is None:
                self._lanes = self._open_lanes()
        return self._lanes.run(outputs, feeds, rows)

    def _check_io(self, name: str) -> None:
        """The manifest's `io` record (optional) must list the file's input and output names, in order."""
        record = self._manifest.data.get("io")
        if record is None:
            return
        entry = record.get(self._role) if isinstance(record, dict) else None
        found = {"inputs": list(self._session.inputs), "outputs": list(self._session.outputs)}
        written = {key: entry.get(key) for key in found} if isinstance(entry, dict) else entry
        if written != found:
            raise IncompatibleModelError(f"{self.path}: the manifest's io.{self._role} says {reprlib.repr(written)}, "
                                         f"but the {name} has {found}")

    def _check_session(self) -> None:
        """Check the session's inputs and outputs against the spec (IncompatibleModelError); subclasses do."""
        raise NotImplementedError

    @property
    def path(self) -> Path:
        """The model folder."""
        return self._manifest.path

    @property
    def info(self) -> dict[str, Any]:
        """A copy of the model's manifest: spec, files, codes and their labels, data, training/export/evaluation
        records."""
        return copy.deepcopy(self._manifest.data)

    @property
    def spec(self) -> LatentSpec:
        """The latent contract the model was exported with."""
        return self._manifest.spec

    @property
    def categorical_codes(self) -> tuple[CategoricalCode, ...]:
        """Each categorical code's name and labels (labels[k] names value k), in column order; e.g. a Fashion-MNIST
        model's first code is "class" with labels ("t-shirt/top", "trouser", ...)."""
        return self._manifest.categorical

    @property
    def categorical_names(self) -> tuple[str, ...]:
        """Names of the categorical codes, in column order."""
        return tuple(code.name for code in self._manifest.categorical)

    @property
    def preprocess_mode(self) -> str:
        """How the model's manifest asks images to be brought to it: "mnist-centre" or "resize"."""
        return self._manifest.preprocess

    @property
    def code_to_digit(self) -> tuple[int, ...]:
        """MNIST models: code_to_digit[k] is the digit that categorical value k stands for; () for a model whose first
        categorical code is not digits."""
        return self._code_to_digit

    @property
    def continuous_names(self) -> tuple[str, ...]:
        """Names of the continuous codes, in column order (e.g. ("rotation", "width"), or ("c0", "c1"))."""
        return self._continuous_names

    @property
    def continuous_codes(self) -> tuple[ContinuousCode, ...]:
        """Each continuous code's name, direction, measured effects and trained range (see the model card)."""
        return self._codes

    @property
    def directions(self) -> tuple[int, ...]:
        """+1 or -1 per continuous code: the sign the SDK applies between users' values and the network's."""
        return tuple(code.direction for code in self._codes)

    @property
    def basis(self) -> np.ndarray:
        """(k, k) float32: row i is code i over the network's continuous inputs (direction x axis); the network
        gets `continuous @ basis` and `infer` reports `network_output @ basis.T`. The signed identity unless the
        model's codes are rotated (see `ContinuousCode.axis`)."""
        return np.diag(np.asarray(self.directions, dtype=np.float32)) if self._basis is None else self._basis.copy()

    @property
    def providers(self) -> list[str]:
        """The onnxruntime execution providers the session really uses, highest priority first."""
        return list(self._session.providers)

    @property
    def device(self) -> str:
        """"cpu" or "cuda:N": where the session runs."""
        return self._session.device

    @property
    def variant(self) -> str | None:
        """The file variant in use ("int8", "fp16", ...), or None for the float32 original."""
        return self._variant

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r}, device={self.device!r}, variant={self.variant!r})"
