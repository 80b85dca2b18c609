"""The Ray Data path on a local 2-CPU cluster: one actor at a time, one cluster for the whole session.

Two 1-CPU actors on a 2-CPU cluster would leave no CPU for Ray's read tasks and hang, so each pipeline
has one actor pool. Skipped without ray only outside CI (CI installs the [ray] extra and must run these).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from infogan_sdk import Encoder, Generator, write_dataset
from infogan_sdk.cli import main

pytestmark = pytest.mark.slow
if importlib.util.find_spec("ray") is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError('CI must run the Ray tests: pip install -e ".[train,dev,ray]"')
    pytest.skip("ray is not installed (pip install -e '.[ray]')", allow_module_level=True)

ARRAYS = ("index", "images", "digits", "codes", "continuous", "noise")


@pytest.fixture(scope="session")
def cluster() -> Iterator[Any]:
    import ray

    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    try:
        yield ray
    finally:
        ray.shutdown()


def by_index(rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    rows = sorted(rows, key=lambda row: int(row["index"]))
    return {name: np.stack([np.asarray(row[name]) for row in rows]) for name in rows[0]}


def test_synthetic_dataset_is_infogan_dataset_byte_for_byte(cluster: Any, model_dir: Path, generator: Generator,
                                                             tmp_path: Path) -> None:
    from infogan_sdk.ray import synthetic_dataset, write_parquet

    dataset = synthetic_dataset(model_dir, per_digit=60, seed=5, actors=1)
    got = by_index(dataset.take_all())
    with np.load(write_dataset(generator, tmp_path / "d.npz", per_digit=60, seed=5)) as npz:
        for name in ARRAYS:
            assert got[name].tobytes() == npz[name].tobytes(), name
    import pyarrow.parquet as pq

    write_parquet(dataset, str(tmp_path / "shards"))
    assert main(["--model", str(model_dir), "dataset", "--per-digit", "60", "--seed", "5", "-q",
                 "-o", str(tmp_path / "d.parquet")]) == 0
    from_ray = pq.read_table(tmp_path / "shards").sort_by("index").select(list(ARRAYS))
    from_cli = pq.read_table(tmp_path / "d.parquet").select(list(ARRAYS))
    assert len(list((tmp_path / "shards").glob("*.parquet"))) >= 1
    assert from_ray.equals(from_cli)


def test_infer_batch_reads_arrays_and_encoded_bytes(cluster: Any, model_dir: Path, generator: Generator,
                                                    encoder: Encoder, tmp_path: Path) -> None:
    from infogan_sdk.ray import InferBatch

    made = generator.generate(digits=[3, 1, 4, 1, 5, 9, 2, 6], seed=0)
    rows = [{"index": i, "images": image} for i, image in enumerate(made.images)]
    dataset = cluster.data.from_items(rows).map_batches(
        InferBatch, fn_constructor_args=(model_dir,), batch_size=4, compute=cluster.data.ActorPoolStrategy(size=1))
    got = by_index(dataset.take_all())
    expected = encoder.infer(made.images)
    np.testing.assert_array_equal(got["inferred_digits"], [3, 1, 4, 1, 5, 9, 2, 6])
    np.testing.assert_allclose(got["inferred_continuous"], expected.continuous, atol=1e-6)
    for index, image in enumerate(made.to_pil()):
        image.save(tmp_path / f"{index}.png")
    files = cluster.data.read_binary_files(str(tmp_path), include_paths=True).map_batches(
        InferBatch, fn_constructor_args=(model_dir,), fn_constructor_kwargs={"column": "bytes"}, batch_size=4,
        compute=cluster.data.ActorPoolStrategy(size=1))
    read = {Path(row["path"]).stem: int(row["inferred_digits"]) for row in files.take_all()}
    assert read == {str(i): d for i, d in enumerate([3, 1, 4, 1, 5, 9, 2, 6])}
