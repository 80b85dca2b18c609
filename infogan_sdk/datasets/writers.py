"""Writing a synthetic data set (see `dataset`) to disk: an .npz archive, a .parquet file or a folder of PNGs.

Every writer streams block by block, so memory stays bounded whatever the size, and writes atomically
(`atomic.atomic_output`): a failed or interrupted run leaves no half-written output. The .npz is built
from one .npy file per array in a scratch folder beside it, then zipped, so it needs about twice its size
on disk while it runs.
"""

from __future__ import annotations

import csv
import os
import zipfile
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import IO

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from infogan_sdk.atomic import atomic_output, check_new, scratch
from infogan_sdk.datasets.plan import DatasetPlan, Range, iter_dataset, layout, metadata, plan
from infogan_sdk.datasets.preflight import check_replaceable, check_space
from infogan_sdk.errors import InfoGANError, InvalidInputError, OutputError, shown
from infogan_sdk.generator import Generator

Progress = Callable[[int], None]  # called with the number of images just written


def write_dataset(generator: Generator, output: str | os.PathLike[str], *, count: int | None = None,
                  per_digit: int | None = None, seed: int = 0,
                  continuous_range: Range | Mapping[str, Range] | None = None, shard: tuple[int, int] = (0, 1),
                  overwrite: bool = False, compress: bool = False, progress: Progress | None = None,
                  check_disk: bool = True) -> Path:
    """Write a seeded, shardable synthetic data set (see `dataset.plan` for the arguments) to `output`.

    output: NAME.npz (arrays `images` uint8 (N, 28, 28), `digits` int64 (N,), `codes`, `continuous` float32
    (N, k), `noise`, `index` (the global index of each image), and `model`, `seed`, `total`,
    `continuous_names`, `continuous_ranges`; `compress` deflates it); NAME.parquet (the same columns, one
    row per image; needs pyarrow); or a folder (one PNG per image, named by global index, and labels.csv).
    `overwrite` replaces only a data set this function wrote (never another file or folder). Before any work the
    free disk is checked against what the job needs (`check_disk=False` skips it).
    Raises InvalidInputError, OutputExistsError (an existing output, unless `overwrite` and it is a data set),
    OutputError (too little free disk, or a failed write), MissingDependencyError.

    >>> from infogan_sdk import Generator
    >>> write_dataset(Generator(), "digits.npz", per_digit=100, seed=0)
    PosixPath('digits.npz')
    """
    data = plan(generator, count=count, per_digit=per_digit, seed=seed, continuous_range=continuous_range,
                shard=shard)
    target = Path(output)
    suffix = target.suffix.lower()
    if suffix not in ("", ".npz", ".parquet") and not target.is_dir():
        raise InvalidInputError(f"a data set is written as NAME.npz, NAME.parquet or a folder of PNGs (a name "
                                f"without a suffix); got {shown(str(target))}")
    kind = {".npz": "npz", ".parquet": "parquet"}.get(suffix, "folder")
    check_new(target, overwrite)  # everything checked before any work
    existed = target.exists() or target.is_symlink()
    check_replaceable(generator, target, kind)
    if check_disk:
        check_space(generator, data, target, kind, compress)
    replace = overwrite and existed  # a path that appears meanwhile is refused at the end, not replaced
    report = progress or (lambda n: None)
    try:
        if kind == "parquet":
            from infogan_sdk.datasets.parquet import write_shard  # pyarrow only when asked for

            write_shard(generator, data, target, replace, report)
        elif kind == "npz":
            _write_npz(generator, data, target, replace, compress, report)
        else:
            _write_folder(generator, data, target, replace, report)
    except OSError as error:
        if isinstance(error, InfoGANError):
            raise
        raise OutputError(f"cannot write {target}: {error.strerror or error}") from error
    return target


def _write_npz(generator: Generator, data: DatasetPlan, target: Path, overwrite: bool, compress: bool,
               report: Progress) -> None:
    n, spec = len(data.indices), generator.spec
    arrays = layout(spec, n)
    extra = {name: np.asarray(value) for name, value in metadata(generator, data).items()}
    extra["continuous_ranges"] = extra["continuous_ranges"].astype(np.float32).reshape(spec.n_continuous, 2)
    with atomic_output(target, overwrite=overwrite) as work, scratch(target) as parts:
        with ExitStack() as stack:
            files = {name: stack.enter_context(open(parts / f"{name}.npy", "wb")) for name in arrays}
            for name, (dtype, shape) in arrays.items():
                header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False,
                          "shape": shape}
                np.lib.format.write_array_header_1_0(files[name], header)
            for chunk in iter_dataset(generator, data):
                for name, values in chunk.columns().items():
                    files[name].write(np.ascontiguousarray(values, dtype=arrays[name][0]).tobytes())
                report(len(chunk.index))
        method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        with zipfile.ZipFile(work, "w", compression=method, allowZip64=True) as archive:
            for name in arrays:
                archive.write(parts / f"{name}.npy", f"{name}.npy")  # streamed in pieces, not read whole
            for name, value in extra.items():
                with archive.open(f"{name}.npy", "w") as member:
                    np.lib.format.write_array(member, value, allow_pickle=False)


def _write_folder(generator: Generator, data: DatasetPlan, target: Path, overwrite: bool, report: Progress) -> None:
    """PNG files named by global index (zero-padded to the whole data set's width) and labels.csv."""
    width = max(5, len(str(data.total - 1)))
    names, extra_codes = generator.continuous_names, range(1, len(generator.spec.categorical_sizes))
    with atomic_output(target, folder=True, overwrite=overwrite) as work, \
            open(work / "labels.csv", "w", newline="", encoding="utf-8") as labels:
        writer = csv.writer(labels)
        writer.writerow(["file", "index", "digit", *names, *(f"code{j}" for j in extra_codes)])
        for chunk in iter_dataset(generator, data):
            result = chunk.result
            for row, index in enumerate(chunk.index.tolist()):
                file = f"{index:0{width}d}.png"
                _png(result.images[row], work / file)
                writer.writerow([file, index, int(result.digits[row]),
                                 *(format(float(v), ".9g") for v in result.continuous[row]),
                                 *(int(result.codes[row, j]) for j in extra_codes)])
            report(len(chunk.index))


def _png(image: NDArray[np.uint8], path: Path) -> None:
    stream: IO[bytes]
    with open(path, "wb") as stream:
        Image.fromarray(image).save(stream, format="PNG")
