"""The four original MNIST IDX files: found (`$INFOGAN_MNIST_DIR` or the per-user cache), read and checked, and
downloaded with checksums when asked. numpy only, so `python -m evaluate` reads MNIST without torch.

Images are uint8 (N, 28, 28) in 0..255, labels int64 (N,) in 0..9, exactly as stored in the IDX files.
`read_idx` reads any uint8 IDX file, gzipped or not: MNIST's format is also Fashion-MNIST's and other drop-ins'.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.client
import logging
import os
import urllib.request
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from infogan_sdk.atomic import atomic_output
from infogan_sdk.errors import DataSetError

log = logging.getLogger(__name__)

MNIST_FILES: dict[str, tuple[str, str]] = {  # split -> (images file, labels file)
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
SPLIT_SIZES: dict[str, int] = {"train": 60000, "test": 10000}
MD5: dict[str, str] = {  # published by the MNIST page and torchvision
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
SHA256: dict[str, str] = {  # computed from the same files; md5 alone is not collision resistant
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049  # IDX: 0x0000, type 0x08 (uint8), number of dims (3 or 1)
IMAGE_SIDE = 28  # IDX file format of MNIST, not the model's contract
_CHUNK = 1 << 16


class MnistError(DataSetError):
    """An MNIST (or other IDX) file is missing, corrupt or could not be downloaded; the message names the file."""


def default_data_dir() -> Path:
    """Return ``$INFOGAN_MNIST_DIR``, else ``$XDG_CACHE_HOME/infogan-sdk/mnist`` (default ``~/.cache``).

    Nothing is created here; only :func:`download_mnist` creates the directory.
    """
    env = os.environ.get("INFOGAN_MNIST_DIR")
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "infogan-sdk" / "mnist"


def load_mnist(split: str, data_dir: str | Path | None = None, download: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Load one MNIST split as images uint8 (N, 28, 28) in 0..255 and labels int64 (N,) in 0..9.

    ``split`` is "train" (N=60000) or "test" (N=10000); ``data_dir`` defaults to :func:`default_data_dir`.
    Missing files are downloaded when ``download`` is true. Raises :class:`MnistError` (naming the file)
    when a file is missing and ``download`` is false, or is corrupt, truncated or inconsistent;
    ``ValueError`` for an unknown split.
    """
    if split not in MNIST_FILES:
        raise ValueError(f"split must be one of {sorted(MNIST_FILES)}, got {split!r}")
    directory = Path(data_dir) if data_dir is not None else default_data_dir()
    images_path, labels_path = (directory / name for name in MNIST_FILES[split])
    missing = [path for path in (images_path, labels_path) if not path.is_file()]
    if missing and not download:
        raise MnistError(
            f"{missing[0]} not found (looked in {directory}): set INFOGAN_MNIST_DIR to a folder holding "
            f"the MNIST .gz files, or call load_mnist(..., download=True)"
        )
    if missing:
        download_mnist(directory)
    images = read_idx(images_path, IMAGES_MAGIC, (IMAGE_SIDE, IMAGE_SIDE))
    labels = read_idx(labels_path, LABELS_MAGIC, ()).astype(np.int64)
    if len(images) != len(labels):
        raise MnistError(f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels")
    if len(labels) != SPLIT_SIZES[split]:
        raise MnistError(f"{labels_path}: expected {SPLIT_SIZES[split]} {split} examples, got {len(labels)}")
    if labels.min() < 0 or labels.max() > 9:
        raise MnistError(f"{labels_path}: labels must be in 0..9, got {labels.min()}..{labels.max()}")
    return images, labels


def read_idx(path: Path, magic: int, item_shape: tuple[int, ...] | None) -> np.ndarray:
    """Read a uint8 IDX file (gzipped or not) with the given magic and per-item shape; return (N, *item_shape).

    ``item_shape`` None takes the per-item shape from the header (its number of dimensions is the magic's last
    byte minus one, e.g. 2051 = 0x803: images of two dimensions).
    """
    raw = _read_maybe_gzip(path)
    dimensions = (magic & 0xFF) - 1 if item_shape is None else len(item_shape)
    header_size = 4 * (2 + dimensions)
    if len(raw) < header_size:
        raise MnistError(f"{path}: expected an IDX header of {header_size} bytes, got {len(raw)} bytes")
    header = np.frombuffer(raw, dtype=">u4", count=2 + dimensions)
    if int(header[0]) != magic:
        raise MnistError(f"{path}: expected IDX magic number {magic}, got {int(header[0])}")
    count, dims = int(header[1]), tuple(int(d) for d in header[2:])
    if item_shape is not None and dims != item_shape:
        raise MnistError(f"{path}: expected items of shape {item_shape}, got {dims}")
    expected = header_size + count * int(np.prod(dims, dtype=np.int64))
    if len(raw) != expected:
        raise MnistError(
            f"{path}: header says {count} items, so expected {expected} bytes after decompression, "
            f"got {len(raw)} bytes (truncated or corrupt file)"
        )
    # Copy so callers get a writable array (frombuffer on bytes is read-only).
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(count, *dims).copy()


def _read_maybe_gzip(path: Path) -> bytes:
    """The bytes of `path`, decompressed when it is named .gz or starts with gzip's magic bytes."""
    try:
        with open(path, "rb") as stream:
            gzipped = stream.read(2) == b"\x1f\x8b" or Path(path).name.endswith(".gz")
        with gzip.open(path, "rb") if gzipped else open(path, "rb") as stream:
            return stream.read()
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise MnistError(f"{path}: not a complete gzip file ({exc})") from exc
    except OSError as exc:
        raise MnistError(f"{path}: cannot read it: {exc.strerror or exc}") from exc


def data_sha256(data_dir: str | Path) -> dict[str, str]:
    """Return ``{file name: sha256 hex}`` of the four MNIST files in ``data_dir`` (for manifests).

    Raises :class:`MnistError` if one is missing. Results are cached per (path, mtime, size).
    """
    digests = {}
    for name in MD5:
        path = Path(data_dir).resolve() / name
        try:
            digests[name] = file_sha256(path)
        except FileNotFoundError as exc:
            raise MnistError(f"{path} not found: cannot record the data checksums") from exc
    return digests


def file_sha256(path: str | Path) -> str:
    """sha256 hex of a file, cached per (path, mtime, size). Raises OSError (FileNotFoundError) as os.stat."""
    stat = os.stat(path)
    return _file_sha256(str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _file_sha256(path: str, mtime_ns: int, size: int) -> str:
    """sha256 hex of a file; mtime and size are only part of the cache key."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def download_mnist(data_dir: str | Path, mirrors: Sequence[str] = MIRRORS, timeout: float = 30.0) -> None:
    """Download each missing MNIST file into ``data_dir``, trying ``mirrors`` in order.

    Each file is streamed to a temporary file beside its final name, checked against its md5 and sha256,
    fsynced and only then renamed into place, so a final name never holds a partial or wrong file.
    ``timeout`` is in seconds per network operation. Raises :class:`MnistError` listing each mirror's
    failure when no mirror delivers a file.
    """
    directory = Path(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    for name in MD5:
        if not (directory / name).is_file():
            _download_file(name, directory, mirrors, timeout)


def _download_file(name: str, directory: Path, mirrors: Sequence[str], timeout: float) -> None:
    """Fetch one file from the first mirror that delivers it intact; clean up every temporary file."""
    failures = []
    for mirror in mirrors:
        url = (mirror if mirror.endswith("/") else mirror + "/") + name
        try:
            log.info("downloading %s", url)
            with atomic_output(directory / name) as part:  # renamed into place only once verified, fsynced
                _fetch_verified(url, part, name, timeout)
            log.info("saved %s", directory / name)
            return
        except (OSError, http.client.HTTPException, MnistError) as exc:  # URLError and timeouts are OSError
            log.warning("mirror failed for %s: %s", url, exc)
            failures.append(f"{url}: {exc}")
    listing = "\n  ".join(failures) or "(no mirrors given)"
    raise MnistError(f"could not download {directory / name} from any mirror:\n  {listing}")


def _fetch_verified(url: str, part: Path, name: str, timeout: float) -> None:
    """Stream ``url`` into ``part`` (created new), then check its length, md5 and sha256."""
    md5, sha256 = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    received = 0
    with urllib.request.urlopen(url, timeout=timeout) as response, open(part, "xb") as out:
        declared = response.headers.get("Content-Length")
        while chunk := response.read(_CHUNK):
            out.write(chunk)
            md5.update(chunk)
            sha256.update(chunk)
            received += len(chunk)
    # http.client returns b"" rather than raising when the peer closes early, so count the bytes.
    if declared is not None and received != int(declared):
        raise MnistError(f"{name}: connection closed early: Content-Length {declared} bytes, received {received}")
    if md5.hexdigest() != MD5[name] or sha256.hexdigest() != SHA256[name]:
        raise MnistError(
            f"{name}: checksum mismatch: expected md5 {MD5[name]} sha256 {SHA256[name]}, "
            f"got md5 {md5.hexdigest()} sha256 {sha256.hexdigest()} ({received} bytes)"
        )


