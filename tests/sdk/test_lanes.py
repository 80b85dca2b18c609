"""Lanes: big generator batches split across one-thread sessions give the images one session gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime
import pytest

from infogan_sdk import Encoder, Generator
from infogan_sdk.loading import lanes


def test_big_batches_run_in_lanes_with_the_same_images(model_dir: Path) -> None:
    one = Generator(model_dir, device="cpu", threads=1)
    two = Generator(model_dir, device="cpu", threads=2)
    small = two.generate(count=lanes.LANE_ROWS - 1, seed=1)
    assert two._lanes is None  # opened on the first big batch only
    big = two.generate(count=3 * lanes.LANE_ROWS + 5, seed=1)
    assert two._lanes is not None and len(two._lanes.sessions) == 2
    np.testing.assert_array_equal(big.images, one.generate(count=3 * lanes.LANE_ROWS + 5, seed=1).images)
    np.testing.assert_array_equal(small.images, one.generate(count=lanes.LANE_ROWS - 1, seed=1).images)
    assert one._open_lanes is None  # one thread: nothing to split


def test_no_lanes_for_the_encoder_nor_for_callers_who_set_the_session_themselves(model_dir: Path) -> None:
    assert Encoder(model_dir, device="cpu", threads=2)._open_lanes is None
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 2
    assert Generator(model_dir, device="cpu", session_options=options)._open_lanes is None


@pytest.mark.parametrize(("threads", "expected"), [(1, 1), (2, 2), (64, lanes.MAX_LANES)])
def test_lane_count_follows_threads_and_is_capped(threads: int, expected: int) -> None:
    assert lanes.lane_count(threads) == expected
    assert 1 <= lanes.lane_count(None) <= lanes.MAX_LANES


def test_models_are_freed_by_reference_counting_not_left_to_the_cyclic_gc(model_dir: Path) -> None:
    """A model in a reference cycle waits for the cyclic GC, which may run in a forked child (evaluate's process
    pool), where destroying onnxruntime's thread pools hangs: that hung the full suite once."""
    import gc
    import weakref

    enabled = gc.isenabled()
    gc.disable()
    try:
        generator = Generator(model_dir, device="cpu", threads=2)
        generator.generate(count=lanes.LANE_ROWS, seed=0)  # with its lanes open
        models = [generator, Encoder(model_dir, device="cpu"), Generator(model_dir, device="cpu", variant="auto")]
        references = [weakref.ref(model) for model in models]
        del generator, models
        assert [reference() for reference in references] == [None, None, None]
    finally:
        if enabled:
            gc.enable()
