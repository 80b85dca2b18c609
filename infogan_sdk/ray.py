"""Ray Data integration (optional: `pip install "infogan-sdk[ray]"`); ray is imported only when used.

`GenerateBatch` and `InferBatch` are callable classes for `ray.data.Dataset.map_batches`: Ray builds one
per actor, so each actor loads its onnxruntime session once and reuses it for every batch.
`synthetic_dataset` is `infogan dataset` as a Ray Dataset: the same rows for the same seed (block b of
the data set is made by one call, whichever actor runs it), ready for `write_parquet` or further maps.

    >>> ds = synthetic_dataset("mnist", per_digit=100_000, seed=0, actors=4)  # doctest: +SKIP
    >>> write_parquet(ds, "s3://bucket/digits/")                               # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infogan_sdk.datasets.parquet import to_table
from infogan_sdk.datasets.plan import Range, generate_block, layout, plan
from infogan_sdk.encoder import Encoder
from infogan_sdk.errors import MissingDependencyError
from infogan_sdk.generator import Generator

Batch = dict[str, NDArray[Any]]


class GenerateBatch:
    """map_batches callable: a batch with a `block` column (block numbers) -> those blocks' images, with the
    columns of `DatasetChunk.columns()` (`images` uint8 (n, 28, 28), `digits`, `index`, ...).

    The data set arguments (count or per_digit, seed, continuous_range) are those of `dataset.plan`.
    """

    def __init__(self, model: str | os.PathLike[str] = "mnist", *, count: int | None = None,
                 per_digit: int | None = None, seed: int = 0,
                 continuous_range: Range | Mapping[str, Range] | None = None, device: str = "cpu",
                 threads: int | None = None) -> None:
        self._generator = Generator(model, device=device, threads=threads)
        self._plan = plan(self._generator, count=count, per_digit=per_digit, seed=seed,
                          continuous_range=continuous_range)

    def __call__(self, batch: Batch) -> Batch:
        chunks = [generate_block(self._generator, self._plan, int(block)).columns() for block in batch["block"]]
        return {name: np.concatenate([chunk[name] for chunk in chunks]) for name in layout(self._generator.spec, 0)}


class InferBatch:
    """map_batches callable: reads the images in `column` and adds `inferred_digits` (n,),
    `inferred_probabilities` (n, 10), `inferred_continuous` (n, k) and `inferred_realness` (n,).

    column: uint8 images (n, 28, 28), or encoded image bytes (e.g. `ray.data.read_binary_files`'s `bytes`)
    or paths, one per row.
    """

    def __init__(self, model: str | os.PathLike[str] = "mnist", *, column: str = "images", device: str = "cpu",
                 threads: int | None = None, preprocess: str = "auto") -> None:
        self._encoder = Encoder(model, device=device, threads=threads)
        self._column, self._preprocess = column, preprocess

    def __call__(self, batch: Batch) -> Batch:
        values = batch[self._column]
        images = values if values.dtype != object else [bytes(v) if isinstance(v, (bytes, bytearray)) else v
                                                         for v in values]
        result = self._encoder.infer(images, preprocess=self._preprocess)
        return {**batch, "inferred_digits": result.digits, "inferred_probabilities": result.probabilities,
                "inferred_continuous": result.continuous, "inferred_realness": result.realness}


def synthetic_dataset(model: str | os.PathLike[str] = "mnist", *, count: int | None = None,
                      per_digit: int | None = None, seed: int = 0,
                      continuous_range: Range | Mapping[str, Range] | None = None, actors: int = 1,
                      num_cpus: float = 1, num_gpus: float = 0, device: str = "cpu") -> Any:
    """The data set `infogan dataset` writes for these arguments, as a ray.data.Dataset (lazy), made by
    `actors` GenerateBatch actors, each holding `num_cpus` CPUs and `num_gpus` GPUs (pass device="cuda"
    with GPUs). Leave CPUs free for Ray's own read tasks, or the pipeline waits for them forever.

    Rows are not in index order; sort by `index` (or write and read back) where order matters.
    """
    ray = import_ray()
    data = plan(Generator(model, device="cpu"), count=count, per_digit=per_digit, seed=seed,
                continuous_range=continuous_range)  # checks the arguments here, before any actor starts
    blocks = ray.data.range(len(data.blocks), override_num_blocks=max(1, min(len(data.blocks), 4 * actors)))
    blocks = blocks.rename_columns({"id": "block"})
    kwargs = {"count": count, "per_digit": per_digit, "seed": seed, "continuous_range": continuous_range,
              "device": device}
    return blocks.map_batches(GenerateBatch, fn_constructor_args=(model,), fn_constructor_kwargs=kwargs,
                              batch_size=1, batch_format="numpy", compute=ray.data.ActorPoolStrategy(size=actors),
                              num_cpus=num_cpus, num_gpus=num_gpus or None)


def write_parquet(dataset: Any, path: str) -> None:
    """Write a `synthetic_dataset` as Parquet files under `path` (one per Ray block), in the schema of
    `infogan dataset -o NAME.parquet` (see `arrow`)."""
    dataset.map_batches(to_table, batch_format="numpy", batch_size=None).write_parquet(path)


def import_ray() -> Any:
    """The ray module, or MissingDependencyError saying how to install it."""
    try:
        import ray
        import ray.data
    except ImportError as error:
        raise MissingDependencyError(f'this needs Ray: pip install "infogan-sdk[ray]" ({error})') from error
    return ray
