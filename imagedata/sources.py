"""Where a data set comes from, as one string (`python -m train --data SOURCE`), and the DataSet it opens to.

    mnist            MNIST's IDX files ($INFOGAN_MNIST_DIR, or `data_dir`), exactly as `mnist_data.files` reads them
    fashion          Fashion-MNIST from Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist, or
                     `data_dir`), with its class names
    fake             seeded fake digits (`fake`): dry runs and tests, no files
    shapes           seeded coloured shapes, 32x32 RGB, with known factors (`shapes`): no files
    idx:DIR          a folder of IDX files (`idx`)
    npz:FILE         an .npz archive (`npz`)
    folder:DIR       a folder of image files (`folder`)
    PATH             any of the three above, told apart by what is there: a file named .npz is npz, a folder
                     holding IDX image files (names with "idx" and "images") is idx, any other folder a folder
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from imagedata.cache import default_cache_dir
from imagedata.convert import check_options, fit_array
from imagedata.dataset import DataSet, Split
from imagedata.fake import fake_mnist, in_colour
from imagedata.folder import read_folder
from imagedata.idx import read_idx_folder
from imagedata.npz import read_npz
from imagedata.shapes import shapes
from infogan_sdk.errors import DataSetError
from mnist_data.files import data_sha256, default_data_dir, load_mnist

NAMED = ("mnist", "fashion", "fake", "shapes")
KINDS = ("idx", "npz", "folder")
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")  # Debian's dataset-fashion-mnist
FASHION_CLASSES = ("t-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
                   "ankle boot")
MNIST_CLASSES = tuple(str(digit) for digit in range(10))
EXPECTED = "mnist, fashion, fake, shapes, idx:DIR, npz:FILE, folder:DIR, or a path to an .npz file or a folder"


@dataclass(frozen=True)
class Options:
    """How a source's images are brought to the model: size (None: as stored), channels (None: as stored), the
    resize policy ("", "resize", "crop"); where named sources live, where folders are cached (None: in memory) and
    how many processes decode them; the generated data's (fake, shapes) training-image count and seed."""

    size: int | None = None
    channels: int | None = None
    policy: str = ""
    data_dir: Path | None = None
    cache_dir: Path | None = None
    workers: int = 0
    fake_size: int = 512
    seed: int = 0


def parse_source(source: str) -> tuple[str, str]:
    """(kind, path): kind is a named source (path ""), "idx", "npz", "folder", or "" for a bare path. Looks at the
    string only; DataSetError for an empty one or a kind without its path."""
    if source in NAMED:
        return source, ""
    kind, colon, rest = source.partition(":")
    if colon and kind in KINDS:
        if not rest:
            raise DataSetError(f"data source {source!r} names no path; expected {kind}:PATH")
        return kind, rest
    if not source:
        raise DataSetError(f"empty data source; expected {EXPECTED}")
    return "", source


def open_source(source: str, options: Options | None = None) -> DataSet:
    """The DataSet of `source` (see the module's docstring), its images brought to `options`' size and channels."""
    options = options or Options()
    check_options(options.size, options.channels, options.policy)
    kind, path = parse_source(source)
    if kind == "fake":
        return _fake(options)
    if kind == "shapes":
        return _fitted(shapes(options.fake_size, options.seed), options)
    if kind in ("mnist", "fashion"):
        data = _named(kind, options.data_dir)
    else:
        kind = kind or infer_kind(Path(path))
        if kind == "folder":
            cache = options.cache_dir
            return read_folder(Path(path), source, options.size, options.channels, options.policy, cache,
                               options.workers)
        data = (read_idx_folder(Path(path), source, Path(path).name) if kind == "idx"
                else read_npz(Path(path), source, options.cache_dir))
    return _fitted(data, options)


def default_options(**changes: object) -> Options:
    """Options with the cache in `cache.default_cache_dir()` and up to 4 decoding processes, changed by `changes`."""
    values: dict[str, object] = {"cache_dir": default_cache_dir(), "workers": min(4, os.cpu_count() or 1)}
    return Options(**{**values, **changes})  # type: ignore[arg-type]


def infer_kind(path: Path) -> str:
    """"npz", "idx" or "folder" for what is at `path`; DataSetError for nothing there or another kind of file."""
    if path.is_file() and path.suffix.lower() == ".npz":
        return "npz"
    if path.is_dir():
        names = [entry.name.lower() for entry in os.scandir(path) if entry.is_file()]
        return "idx" if any("idx" in name and "images" in name for name in names) else "folder"
    what = "is not an .npz file" if path.exists() else "no such file or folder"
    raise DataSetError(f"{path}: {what}; expected {EXPECTED}")


def _named(kind: str, data_dir: Path | None) -> DataSet:
    if kind == "fashion":
        folder = data_dir or FASHION_DIR
        if not folder.is_dir():
            raise DataSetError(f"{folder}: no such folder; expected Fashion-MNIST's IDX files there (apt-get install "
                               "dataset-fashion-mnist, or pass its folder)")
        return read_idx_folder(folder, "fashion", "fashion", FASHION_CLASSES)
    folder = data_dir or default_data_dir()
    images, labels = load_mnist("train", folder)
    test_images, test_labels = load_mnist("test", folder)
    return DataSet("mnist", "mnist", Split(images, labels), Split(test_images, test_labels), MNIST_CLASSES,
                   data_sha256(folder))


def _fake(options: Options) -> DataSet:
    """Seeded fake digits (a quarter as many, at least 10, for the test split), resized freely: they are drawn."""
    size, seed = options.fake_size, options.seed
    splits = []
    for n, split_seed in ((size, seed), (max(size // 4, 10), seed + 1)):
        images, labels = fake_mnist(n, split_seed)
        if options.channels == 3:
            images = in_colour(images, labels)
        splits.append(Split(fit_array(images, options.size, None, options.policy or "resize", "fake"), labels))
    return DataSet("fake", "fake", splits[0], splits[1], MNIST_CLASSES, {"fake": f"fake_mnist(n={size}, seed={seed})"},
                   "its own draw (seed + 1)")


def _fitted(data: DataSet, options: Options) -> DataSet:
    """`data` with both splits' images brought to the options' size and channels (unchanged arrays if they fit)."""
    if options.size is None and options.channels is None:
        return data
    splits = [Split(fit_array(split.images, options.size, options.channels, options.policy, data.source),
                    split.labels, split.factors) for split in (data.train, data.test)]
    return DataSet(data.name, data.source, splits[0], splits[1], data.class_names, data.sha256, data.test_split)
