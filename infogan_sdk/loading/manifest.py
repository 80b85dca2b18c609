"""The model folder: ONNX files plus `manifest.json`, which describes how to run them.

Export writes it (`write_manifest`), the SDK reads it (`load_manifest`) and refuses anything it
cannot trust: a missing or newer format, a file outside the folder, a sha256 that does not match.

Format versions (each SDK reads every version up to FORMAT_VERSION; export writes the oldest that describes a folder):
    1  an MNIST model (`loading.mnist` reads its mapping as the first code's labels); images MNIST-centred.
    2  any model: `categorical_codes` (names and labels), `preprocess` ("mnist-centre" or "resize"), `data` (the
       data set's description).
"""

from __future__ import annotations

import hashlib
import json
import os
import reprlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infogan_sdk.atomic import atomic_output
from infogan_sdk.errors import CorruptModelError, IncompatibleModelError, InfoGANError, ModelNotFoundError
from infogan_sdk.loading.jsonfile import read_json_object
from infogan_sdk.loading.labels import CategoricalCode, read_labels
from infogan_sdk.loading.mnist import code_to_digit, format1_labels, refuse_mapping
from infogan_sdk.spec import LatentSpec

MANIFEST_NAME = "manifest.json"
FORMAT = "infogan-sdk-model"
FORMAT_VERSION = 2  # the newest format this SDK reads
REQUIRED_FILES = ("generator", "encoder")
PREPROCESS = ("mnist-centre", "resize")  # how the encoder's inputs are brought to the model (images.fit)


@dataclass(frozen=True)
class Manifest:
    """A validated manifest: the raw JSON plus the parts the SDK needs, already parsed."""

    path: Path  # the model folder
    data: dict[str, Any]
    spec: LatentSpec
    categorical: tuple[CategoricalCode, ...]  # each categorical code's name and labels
    preprocess: str  # one of PREPROCESS

    @property
    def format_version(self) -> int:
        return int(self.data["format_version"])

    @property
    def code_to_digit(self) -> tuple[int, ...]:
        """MNIST models: the digit each value of the first code draws, read from its labels (`loading.mnist`)."""
        return code_to_digit(self.categorical)

    def file(self, role: str) -> Path:
        """Absolute path of the file with this role ("generator", "encoder", ...)."""
        files = self.data["files"]
        if role not in files:
            raise ModelNotFoundError(f"model {self.path} has no {role!r} file; it has {sorted(files)}")
        return self.path / str(files[role]["path"])

    def read(self, role: str, verify: bool = True) -> bytes:
        """The bytes of this role's file; with `verify`, the bytes read are checked against size and sha256."""
        path, entry = self.file(role), self.data["files"][role]
        with readable(self.path):
            data = path.read_bytes()
        if verify and (len(data) != entry["bytes"] or hashlib.sha256(data).hexdigest() != entry["sha256"]):
            raise CorruptModelError(f"{path}: expected {entry['bytes']} bytes with sha256 {entry['sha256']}, found "
                                    f"{len(data)} bytes with sha256 {hashlib.sha256(data).hexdigest()} (truncated or "
                                    "replaced)")
        return data


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_entry(folder: Path, name: str) -> dict[str, Any]:
    """The manifest's record of one file in `folder`: its name, size and sha256."""
    path = folder / name
    return {"path": name, "bytes": path.stat().st_size, "sha256": sha256_of(path)}


def write_manifest(folder: Path, data: dict[str, Any]) -> None:
    """Write `data` as the folder's manifest, atomically (`atomic.atomic_output`)."""
    with atomic_output(folder / MANIFEST_NAME, overwrite=True) as temporary:
        temporary.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def load_manifest(folder: str | os.PathLike[str], verify: bool = True) -> Manifest:
    """Read and validate `folder/manifest.json`; with `verify`, check every file's size and sha256.

    Raises ModelNotFoundError, CorruptModelError or IncompatibleModelError, each naming the problem.
    """
    root = Path(folder)
    path = root / MANIFEST_NAME
    with readable(root):
        if not root.is_dir():
            raise ModelNotFoundError(f"model folder {root} does not exist or is not a folder")
        if not path.is_file():
            raise ModelNotFoundError(f"{root} is not a model folder: it has no {MANIFEST_NAME}")
        data = read_json_object(path)
        _check_format(path, data)
        spec = LatentSpec.from_dict(data.get("spec"))
        categorical, preprocess = _codes(path, data, spec)
        _check_files(root, data.get("files"), verify)
    return Manifest(root, data, spec, categorical, preprocess)


@contextmanager
def readable(folder: Path) -> Iterator[None]:
    """The file system's errors while a model folder is read, as the SDK's: a file gone (the folder removed or
    swapped meanwhile) is ModelNotFoundError, one that cannot be read (permissions, I/O) CorruptModelError."""
    try:
        yield
    except InfoGANError:  # ModelNotFoundError is also a FileNotFoundError: already ours
        raise
    except (FileNotFoundError, NotADirectoryError) as error:
        raise ModelNotFoundError(f"{error.filename or folder} of model folder {folder} is gone ({error.strerror}): "
                                 "was the folder removed or replaced while it was loading?") from error
    except OSError as error:
        raise CorruptModelError(f"{error.filename or folder} of model folder {folder} cannot be read: "
                                f"{error.strerror or error}") from error


def _check_format(path: Path, data: dict[str, Any]) -> None:
    if data.get("format") != FORMAT:
        raise IncompatibleModelError(f"{path}: expected format {FORMAT!r}, got {_show(data.get('format'))}")
    version = data.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise IncompatibleModelError(f"{path}: format_version must be a positive integer, got {_show(version)}")
    if version > FORMAT_VERSION:
        raise IncompatibleModelError(f"{path}: format version {_show(version)} is newer than this SDK reads "
                                     f"({FORMAT_VERSION}); upgrade infogan-sdk")


def _codes(path: Path, data: dict[str, Any], spec: LatentSpec) -> tuple[tuple[CategoricalCode, ...], str]:
    """The categorical codes' labels and the preprocessing, as the folder's format version says them."""
    if data["format_version"] == 1:  # every format 1 folder is an MNIST model
        return format1_labels(path, data, spec), PREPROCESS[0]
    refuse_mapping(path, data)
    preprocess, described = data.get("preprocess", "resize"), data.get("data")
    if preprocess not in PREPROCESS:
        raise IncompatibleModelError(f"{path}: preprocess must be one of {list(PREPROCESS)}, got {_show(preprocess)}")
    if described is not None and not isinstance(described, dict):
        raise IncompatibleModelError(f"{path}: data must be the data set's description (an object), got "
                                     f"{_show(described)}")
    return read_labels(path, data.get("categorical_codes"), spec.categorical_sizes), str(preprocess)


def _check_files(root: Path, files: Any, verify: bool) -> None:
    if not isinstance(files, dict) or not all(role in files for role in REQUIRED_FILES):
        raise IncompatibleModelError(f"{root}: manifest 'files' must name {list(REQUIRED_FILES)}, got {_show(files)}")
    resolved_root = root.resolve()
    for role, entry in files.items():
        if not isinstance(entry, dict) or not {"path", "bytes", "sha256"} <= set(entry) or not role.isprintable():
            raise IncompatibleModelError(f"{root}: file entry {_show(role)} needs path, bytes and sha256, got "
                                         f"{_show(entry)}")
        name = entry["path"]
        if not isinstance(name, str) or Path(name).name != name or name in ("", ".", "..") or not name.isprintable():
            raise CorruptModelError(f"{root}: file {role!r} must be a plain file name inside the folder, got "
                                    f"{_show(name)}")
        target = root / name
        if not target.is_file():
            raise ModelNotFoundError(f"{root}: the manifest names {name} ({role}) but the file is missing")
        if target.resolve().parent != resolved_root:
            raise CorruptModelError(f"{root}: {name} points outside the model folder (to {target.resolve()})")
        if verify and target.stat().st_size != entry["bytes"]:
            raise CorruptModelError(f"{target}: expected {_show(entry['bytes'])} bytes, found {target.stat().st_size} "
                                    "(truncated or replaced)")
        digest = sha256_of(target) if verify else None
        if verify and digest != entry["sha256"]:
            raise CorruptModelError(f"{target}: sha256 {digest} does not match the manifest's {_show(entry['sha256'])}")


_show = reprlib.repr  # short, and escapes what the manifest holds (huge lists, lone surrogates)
