"""Data sets as Arrow tables and Parquet files (optional: needs pyarrow, imported only here and only when used).

One row per image, the columns of `DatasetChunk.columns()`: `index`, `digits`, and fixed-size lists for the
arrays (`images` holds the H*W pixels row by row, uint8; `codes`, `continuous`, `noise`). The data set's
metadata (model, seed, code names and ranges) goes in the schema metadata under b"infogan" as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infogan_sdk.atomic import atomic_output
from infogan_sdk.datasets.plan import DatasetPlan, iter_dataset, layout, metadata
from infogan_sdk.errors import MissingDependencyError
from infogan_sdk.generator import Generator

ROWS_PER_GROUP = 16 * 1024  # Parquet row group: big enough to compress and read well, small in memory


def pyarrow() -> Any:
    """The pyarrow module, or MissingDependencyError saying how to install it."""
    try:
        import pyarrow as pa
    except ImportError as error:
        raise MissingDependencyError("Parquet needs pyarrow: pip install pyarrow (or infogan-sdk[ray]); "
                                     f"importing it failed: {error}") from error
    return pa


def to_table(columns: Mapping[str, NDArray[Any]], meta: Mapping[str, Any] | None = None) -> Any:
    """Per-image numpy arrays (N, ...) -> a pyarrow.Table: 1-D arrays as columns, others as fixed-size lists."""
    pa = pyarrow()
    arrays, names = [], []
    for name, values in columns.items():
        values = np.ascontiguousarray(values)
        width = int(np.prod(values.shape[1:])) if values.ndim > 1 else 0
        flat = pa.array(values.reshape(-1))
        arrays.append(flat if values.ndim == 1 else pa.FixedSizeListArray.from_arrays(flat, width))
        names.append(name)
    schema_meta = {b"infogan": json.dumps(dict(meta)).encode()} if meta is not None else None
    return pa.Table.from_arrays(arrays, names=names, metadata=schema_meta)


def to_numpy(table: Any, shapes: Mapping[str, tuple[int, ...]] | None = None) -> dict[str, NDArray[Any]]:
    """A table from `to_table` -> {name: (N, ...) array}; `shapes` gives the per-row shape of list columns
    (default: images (28, 28), others flat)."""
    shapes = {"images": (28, 28), **(shapes or {})}
    out: dict[str, NDArray[Any]] = {}
    for name in table.column_names:
        column = table.column(name).combine_chunks()
        if hasattr(column.type, "list_size"):
            row = shapes.get(name, (column.type.list_size,))
            out[name] = column.flatten().to_numpy(zero_copy_only=False).reshape(len(column), *row)
        else:
            out[name] = column.to_numpy(zero_copy_only=False)
    return out


def write_shard(generator: Generator, data: DatasetPlan, target: Path, overwrite: bool,
                report: Callable[[int], None]) -> None:
    """Stream a data set shard into one Parquet file, a row group every ROWS_PER_GROUP images, atomically."""
    pa = pyarrow()
    import pyarrow.parquet as pq

    meta = metadata(generator, data)
    with atomic_output(target, overwrite=overwrite) as work:
        writer, pending = None, []
        try:
            for chunk in iter_dataset(generator, data):
                pending.append(to_table(chunk.columns(), meta))
                if sum(len(t) for t in pending) >= ROWS_PER_GROUP or chunk.index[-1] + 1 == data.indices.stop:
                    table = pa.concat_tables(pending)
                    writer = writer or pq.ParquetWriter(work, table.schema)
                    writer.write_table(table)
                    pending = []
                report(len(chunk.index))
            if writer is None:  # an empty shard: still a file, with the schema
                empty = {name: np.empty(shape, dtype) for name, (dtype, shape) in layout(generator.spec, 0).items()}
                pq.write_table(to_table(empty, meta), work)
        finally:
            if writer is not None:
                writer.close()
