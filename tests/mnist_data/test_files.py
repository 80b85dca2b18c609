"""The MNIST reader and its verified downloader (against a local HTTP server)."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from mnist_data import files as data
from mnist_data.files import MNIST_FILES, MnistError, data_sha256, download_mnist, load_mnist

SHARED = Path(os.environ.get("INFOGAN_MNIST_DIR") or Path(__file__).resolve().parents[2].parent / "shared/data/mnist")
TEST_IMAGES, TEST_LABELS = MNIST_FILES["test"]
ALL_FILES = [name for pair in MNIST_FILES.values() for name in pair]

needs_mnist = pytest.mark.skipif(
    not all((SHARED / name).is_file() for name in ALL_FILES), reason=f"MNIST files not found in {SHARED}"
)


# ---------------------------------------------------------------- reading the real files


@needs_mnist
def test_reads_real_test_split() -> None:
    images, labels = load_mnist("test", SHARED, download=False)
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and labels.dtype == np.int64
    assert images.max() == 255 and images.min() == 0
    assert 20 < images.mean() < 50  # MNIST test mean is about 33.8
    counts = np.bincount(labels, minlength=10)
    assert counts.sum() == 10000 and counts.min() >= 850 and counts.max() <= 1150
    assert labels[:5].tolist() == [7, 2, 1, 0, 4]  # the well-known first test digits


@needs_mnist
def test_reads_real_train_split() -> None:
    images, labels = load_mnist("train", SHARED, download=False)
    assert images.shape == (60000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (60000,) and labels.dtype == np.int64
    assert np.bincount(labels, minlength=10).tolist()[:2] == [5923, 6742]
    assert labels[:5].tolist() == [5, 0, 4, 1, 9]


@needs_mnist
def test_data_sha256_matches_constants() -> None:
    digests = data_sha256(SHARED)
    assert digests == data.SHA256
    for name in ALL_FILES:
        assert hashlib.md5((SHARED / name).read_bytes()).hexdigest() == data.MD5[name]


def test_data_sha256_cache_sees_changes(tmp_path: Path) -> None:
    for name in ALL_FILES:
        (tmp_path / name).write_bytes(name.encode())
    before = data_sha256(tmp_path)
    assert before[TEST_LABELS] == hashlib.sha256(TEST_LABELS.encode()).hexdigest()
    (tmp_path / TEST_LABELS).write_bytes(b"changed, and longer than before")
    after = data_sha256(tmp_path)
    assert after[TEST_LABELS] == hashlib.sha256(b"changed, and longer than before").hexdigest()
    assert after[TEST_IMAGES] == before[TEST_IMAGES]


def test_data_sha256_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MnistError, match=r"train-images-idx3-ubyte\.gz"):
        data_sha256(tmp_path)


# ---------------------------------------------------------------- bad files


def idx_bytes(magic: int, dims: tuple[int, ...], payload: bytes) -> bytes:
    """An uncompressed IDX file: big-endian uint32 magic and dims, then the payload."""
    return np.array([magic, *dims], dtype=">u4").tobytes() + payload


def write_split(directory: Path, images: bytes, labels: bytes) -> None:
    """Write (already uncompressed) IDX bytes as the gzipped test split."""
    (directory / TEST_IMAGES).write_bytes(gzip.compress(images, compresslevel=1))
    (directory / TEST_LABELS).write_bytes(gzip.compress(labels, compresslevel=1))


N = 10000
GOOD_IMAGES = idx_bytes(2051, (N, 28, 28), bytes(N * 28 * 28))
GOOD_LABELS = idx_bytes(2049, (N,), bytes(range(10)) * (N // 10))


def test_synthetic_good_split_loads(tmp_path: Path) -> None:
    write_split(tmp_path, GOOD_IMAGES, GOOD_LABELS)
    images, labels = load_mnist("test", tmp_path, download=False)
    assert images.shape == (N, 28, 28) and labels[:12].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    images[0, 0, 0] = 1  # callers get writable arrays


@pytest.mark.parametrize(
    ("images", "labels", "bad_file", "message"),
    [
        (idx_bytes(2052, (N, 28, 28), bytes(N * 784)), GOOD_LABELS, TEST_IMAGES, "magic number 2051, got 2052"),
        (GOOD_IMAGES, idx_bytes(2051, (N,), bytes(N)), TEST_LABELS, "magic number 2049, got 2051"),
        (GOOD_IMAGES[:-100], GOOD_LABELS, TEST_IMAGES, "expected 7840016 bytes .*got 7839916 bytes"),
        (GOOD_IMAGES, GOOD_LABELS[:6], TEST_LABELS, "header of 8 bytes, got 6"),
        (idx_bytes(2051, (N, 27, 29), bytes(N * 27 * 29)), GOOD_LABELS, TEST_IMAGES, r"shape \(28, 28\), got"),
        (GOOD_IMAGES, idx_bytes(2049, (N - 1,), bytes(N - 1)), TEST_LABELS, "10000 images but .* 9999 labels"),
        (
            idx_bytes(2051, (100, 28, 28), bytes(100 * 784)),
            idx_bytes(2049, (100,), bytes(100)),
            TEST_LABELS,
            "expected 10000 test examples, got 100",
        ),
        (GOOD_IMAGES, GOOD_LABELS[:-1] + b"\x0a", TEST_LABELS, r"labels must be in 0\.\.9, got 0\.\.10"),
    ],
    ids=["magic", "label-magic", "truncated-payload", "short-header", "dims", "count-mismatch", "count", "label"],
)
def test_bad_idx_contents(tmp_path: Path, images: bytes, labels: bytes, bad_file: str, message: str) -> None:
    write_split(tmp_path, images, labels)
    with pytest.raises(MnistError, match=message) as info:
        load_mnist("test", tmp_path, download=False)
    assert str(tmp_path / bad_file) in str(info.value)


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda gz: gz[: len(gz) // 2], "not a complete gzip file"),  # truncated download
        (lambda gz: b"<html>404 Not Found</html>", "not a complete gzip file"),  # not gzip at all
        (lambda gz: gz[:-8] + bytes(8), "not a complete gzip file"),  # CRC and size trailer wrong
    ],
    ids=["truncated-gz", "not-gzip", "bad-crc"],
)
def test_bad_gzip(tmp_path: Path, mangle: Callable[[bytes], bytes], message: str) -> None:
    write_split(tmp_path, GOOD_IMAGES, GOOD_LABELS)
    path = tmp_path / TEST_IMAGES
    path.write_bytes(mangle(path.read_bytes()))
    with pytest.raises(MnistError, match=message) as info:
        load_mnist("test", tmp_path, download=False)
    assert str(path) in str(info.value)


def test_missing_file_without_download(tmp_path: Path) -> None:
    with pytest.raises(MnistError) as info:
        load_mnist("test", tmp_path, download=False)
    message = str(info.value)
    assert TEST_IMAGES in message and str(tmp_path) in message and "INFOGAN_MNIST_DIR" in message
    assert list(tmp_path.iterdir()) == []


def test_unknown_split() -> None:
    with pytest.raises(ValueError, match="'validation'"):
        load_mnist("validation", download=False)


def test_default_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("INFOGAN_MNIST_DIR", str(tmp_path / "here"))
    assert data.default_data_dir() == tmp_path / "here"
    monkeypatch.delenv("INFOGAN_MNIST_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert data.default_data_dir() == tmp_path / "cache/infogan-sdk/mnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert data.default_data_dir() == Path.home() / ".cache/infogan-sdk/mnist"
    assert not (tmp_path / "here").exists() and not (tmp_path / "cache").exists()


# ---------------------------------------------------------------- downloading from a local server


Server = tuple[str, list[str]]  # base URL, paths requested so far


class MirrorHandler(http.server.BaseHTTPRequestHandler):
    """Serves the shared MNIST files under /good/, /corrupt/ (one byte flipped), /drop/ (half, then close)."""

    requests: list[str]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        mode, _, name = self.path.strip("/").partition("/")
        if mode not in ("good", "corrupt", "drop") or name not in data.MD5:
            self.send_error(404)
            return
        body = bytearray((SHARED / name).read_bytes())
        if mode == "corrupt":
            body[len(body) // 2] ^= 0xFF
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if mode == "drop" else body)
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


@pytest.fixture
def server() -> Iterator[Server]:
    """A threaded HTTP server on 127.0.0.1 (free port); yields its base URL and the paths requested."""
    requests: list[str] = []
    handler = type("Handler", (MirrorHandler,), {"requests": requests})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def prefill(directory: Path, skip: str) -> None:
    """Copy every shared file except ``skip``, so a download only fetches that one."""
    for name in ALL_FILES:
        if name != skip:
            shutil.copyfile(SHARED / name, directory / name)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if ".part" in p.name or p.name.endswith(".tmp"))


@needs_mnist
def test_download_all_files(tmp_path: Path, server: Server) -> None:
    url, requests = server
    target = tmp_path / "new" / "dir"  # created by the download
    download_mnist(target, mirrors=[f"{url}/good/"], timeout=10)
    for name in ALL_FILES:
        assert (target / name).read_bytes() == (SHARED / name).read_bytes()
    assert sorted(requests) == sorted(f"/good/{name}" for name in ALL_FILES)
    assert leftovers(target) == []
    download_mnist(target, mirrors=[f"{url}/good/"], timeout=10)  # nothing missing: no requests
    assert len(requests) == len(ALL_FILES)
    images, labels = load_mnist("test", target, download=False)
    assert images.shape == (10000, 28, 28) and labels.shape == (10000,)


@needs_mnist
def test_load_mnist_downloads_missing(tmp_path: Path, server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    url, requests = server
    prefill(tmp_path, skip=TEST_LABELS)
    real = data.download_mnist
    monkeypatch.setattr(data, "download_mnist", lambda directory: real(directory, mirrors=[f"{url}/good"]))
    _, labels = load_mnist("test", tmp_path)
    assert labels.shape == (10000,) and requests == [f"/good/{TEST_LABELS}"]


@needs_mnist
def test_corrupt_mirror_falls_back(tmp_path: Path, server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    url, requests = server
    prefill(tmp_path, skip=TEST_IMAGES)
    replaced: list[bytes] = []
    real_replace = os.replace

    def spy_replace(src: os.PathLike[str], dst: os.PathLike[str]) -> None:
        replaced.append(Path(src).read_bytes())
        real_replace(src, dst)

    monkeypatch.setattr(data.os, "replace", spy_replace)
    download_mnist(tmp_path, mirrors=[f"{url}/corrupt/", f"{url}/good/"], timeout=10)
    good = (SHARED / TEST_IMAGES).read_bytes()
    assert requests == [f"/corrupt/{TEST_IMAGES}", f"/good/{TEST_IMAGES}"]
    assert replaced == [good]  # the corrupted bytes were never moved under the final name
    assert (tmp_path / TEST_IMAGES).read_bytes() == good
    assert leftovers(tmp_path) == []


@needs_mnist
def test_dropped_connection(tmp_path: Path, server: Server) -> None:
    url, _ = server
    prefill(tmp_path, skip=TEST_IMAGES)
    with pytest.raises(MnistError, match="connection closed early") as info:
        download_mnist(tmp_path, mirrors=[f"{url}/drop/"], timeout=10)
    assert str(tmp_path / TEST_IMAGES) in str(info.value)
    assert not (tmp_path / TEST_IMAGES).exists()
    assert leftovers(tmp_path) == []


def closed_port() -> int:
    """A local port with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@needs_mnist
def test_all_mirrors_fail(tmp_path: Path, server: Server) -> None:
    url, _ = server
    prefill(tmp_path, skip=TEST_LABELS)
    mirrors = [f"{url}/missing/", f"{url}/corrupt/", f"{url}/drop/", f"http://127.0.0.1:{closed_port()}/"]
    with pytest.raises(MnistError) as info:
        download_mnist(tmp_path, mirrors=mirrors, timeout=10)
    lines = str(info.value).splitlines()
    assert str(tmp_path / TEST_LABELS) in lines[0]
    reasons = ["404", "checksum mismatch", "connection closed early", "refused"]
    for line, mirror, reason in zip(lines[1:], mirrors, reasons, strict=True):
        assert line.strip().startswith(f"{mirror}{TEST_LABELS}: ") and reason in line
    assert not (tmp_path / TEST_LABELS).exists()
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------------- fake digits
