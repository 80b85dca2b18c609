"""Dynamic batching: concurrent requests share network calls, and each gets the answer it gets alone."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from infogan_sdk import Generator
from infogan_sdk.serve.app import create_app
from infogan_sdk.serve.batching import Batcher, Job
from infogan_sdk.serve.config import ServeConfig
from tests.serve.conftest import LOCAL, assert_same_render
from tests.serve.test_app import pixels
from tests.serve.test_server import png_of


class Network:
    """A fake network: doubles each payload, records the batches, refuses the payload "bad", and holds each call
    until `release` is set (so that jobs queue behind it)."""

    def __init__(self) -> None:
        self.calls: list[list[Any]] = []
        self.release = threading.Event()

    def __call__(self, payloads: Sequence[Any]) -> list[Any]:
        self.release.wait(5)
        self.calls.append(list(payloads))
        if "bad" in payloads:
            raise ValueError("bad payload")
        return [2 * payload for payload in payloads]


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_jobs_that_queue_behind_a_running_call_share_the_next_one() -> None:
    network = Network()

    async def scenario() -> list[Any]:
        batcher = Batcher("test", network, max_batch=64, max_wait=0)
        first = asyncio.ensure_future(batcher.submit(Job(1, 1, lambda out: out)))
        await asyncio.sleep(0.05)  # the first call is running (held)
        rest = [asyncio.ensure_future(batcher.submit(Job(n, 1, lambda out: out + 0.5))) for n in range(2, 7)]
        await asyncio.sleep(0.05)
        network.release.set()
        answers = await asyncio.gather(first, *rest)
        batcher.close()
        return answers

    assert run(scenario()) == [2, 4.5, 6.5, 8.5, 10.5, 12.5]  # each its own output, through its own finish
    assert network.calls == [[1], [2, 3, 4, 5, 6]]


def test_a_lone_job_does_not_wait_and_max_batch_splits_the_queue() -> None:
    network = Network()
    network.release.set()

    async def scenario() -> tuple[float, list[Any]]:
        batcher = Batcher("test", network, max_batch=4, max_wait=0)
        started = time.perf_counter()
        await batcher.submit(Job(1, 1, lambda out: out))
        alone = time.perf_counter() - started
        network.release.clear()
        jobs = [asyncio.ensure_future(batcher.submit(Job(n, size, lambda out: out))) for n, size in
                ((10, 1), (11, 3), (12, 2), (13, 2), (14, 9), (15, 1))]
        await asyncio.sleep(0.05)
        network.release.set()
        answers = await asyncio.gather(*jobs)
        batcher.close()
        return alone, answers

    alone, answers = run(scenario())
    assert alone < 0.5 and answers == [20, 22, 24, 26, 28, 30]
    # all six were queued before the worker took any: oldest first, at most 4 images a call, a bigger job alone
    assert network.calls == [[1], [10, 11], [12, 13], [14], [15]]


def test_a_batch_that_fails_is_rerun_one_by_one_so_only_the_bad_job_fails() -> None:
    network = Network()

    async def scenario() -> list[Any]:
        batcher = Batcher("test", network, max_batch=64, max_wait=0)
        first = asyncio.ensure_future(batcher.submit(Job(1, 1, lambda out: out)))
        await asyncio.sleep(0.05)
        rest = [asyncio.ensure_future(batcher.submit(Job(payload, 1, lambda out: out))) for payload in (2, "bad", 3)]
        await asyncio.sleep(0.05)
        network.release.set()
        answers = await asyncio.gather(first, *rest, return_exceptions=True)
        after = await batcher.submit(Job(5, 1, lambda out: out))  # the worker goes on
        batcher.close()
        return [*answers, after]

    one, two, bad, three, after = run(scenario())
    assert (one, two, three, after) == (2, 4, 6, 10)
    assert isinstance(bad, ValueError) and str(bad) == "bad payload"
    assert network.calls == [[1], [2, "bad", 3], [2], ["bad"], [3], [5]]


def test_a_finish_that_fails_fails_only_its_own_job() -> None:
    network = Network()
    network.release.set()

    def broken(out: Any) -> Any:
        raise KeyError("no such field")

    async def scenario() -> list[Any]:
        batcher = Batcher("test", network, max_batch=64, max_wait=0.05)  # waits: both land in one call
        answers = await asyncio.gather(batcher.submit(Job(1, 1, broken)), batcher.submit(Job(2, 1, lambda out: out)),
                                       return_exceptions=True)
        batcher.close()
        return answers

    broken_answer, good = run(scenario())
    assert isinstance(broken_answer, KeyError) and good == 4 and network.calls == [[1, 2]]


def test_max_wait_holds_a_batch_that_is_not_full_and_a_full_one_goes_at_once() -> None:
    network = Network()
    network.release.set()

    async def scenario() -> tuple[float, float]:
        batcher = Batcher("test", network, max_batch=2, max_wait=0.3)
        started = time.perf_counter()
        await batcher.submit(Job(1, 1, lambda out: out))
        held = time.perf_counter() - started
        started = time.perf_counter()
        await asyncio.gather(batcher.submit(Job(2, 1, lambda out: out)), batcher.submit(Job(3, 1, lambda out: out)))
        full = time.perf_counter() - started
        batcher.close()
        return held, full

    held, full = run(scenario())
    assert held >= 0.25 and full < 0.2, (held, full)
    assert network.calls == [[1], [2, 3]]


PNG_BASE64 = "iVBORw0KGgo"  # a PNG signature, base64-encoded


def assert_close(first: Any, second: Any, where: object, images: list[tuple[np.ndarray, np.ndarray]]) -> None:
    """Two JSON answers equal, floats within 1e-5 (an encoder's batch of 5 and its batch of 1 round apart on
    AVX-512 CPUs: onnxruntime's kernels block by batch size), PNG images decoded and appended to `images` (held to
    the render guarantee together, `assert_same_render`), everything else exactly."""
    if isinstance(first, str) and isinstance(second, str) and first.startswith(PNG_BASE64):
        images.append((pixels(first), pixels(second)))
    elif isinstance(first, float) or isinstance(second, float):
        assert first == pytest.approx(second, rel=1e-5, abs=1e-6), where
    elif isinstance(first, dict):
        assert isinstance(second, dict) and first.keys() == second.keys(), where
        for key in first:
            assert_close(first[key], second[key], where, images)
    elif isinstance(first, list):
        assert isinstance(second, list) and len(first) == len(second), where
        for a, b in zip(first, second, strict=True):
            assert_close(a, b, where, images)
    else:
        assert first == second, where


@pytest.mark.parametrize("max_batch", [64, 1])
def test_concurrent_requests_get_the_answers_they_get_alone(tiny_dir: Path, max_batch: int) -> None:
    """24 requests at once (generate with seeds, digits, codes and noise; traverse; PNG answers; infer) against
    the same requests one at a time: the same bytes, whether they were batched (64) or not (1)."""
    app = create_app(ServeConfig(models=("mnist", str(tiny_dir)), device="cpu", threads=1, max_batch=max_batch))
    image = png_of(Generator("mnist", device="cpu").generate(digits=7, seed=0).images[0])
    requests: list[tuple[str, dict[str, Any]]] = [
        *[("/v1/generate", {"digits": [n % 10], "seed": n}) for n in range(8)],
        ("/v1/generate", {"count": 5, "seed": 3, "return_noise": True}),
        ("/v1/generate", {"digits": [1, 2], "continuous": {"rotation": [0.5, -0.5]}, "seed": 1}),
        ("/v1/generate", {"digits": 4, "noise": [0.1] * 4, "seed": 0, "model": "tiny"}),
        ("/v1/generate?format=png", {"count": 4, "seed": 2}),
        ("/v1/traverse", {"digit": 3, "code": "thickness", "seed": 5}),
        ("/v1/traverse?format=png", {"digit": 2, "code": 0, "seed": 6}),
        ("/v1/generate", {"digits": 11}),  # a 422 among them
        *[("/v1/infer", {"images": [image]}) for _ in range(4)],
        ("/v1/infer", {"images": [image, "not base64!"]}),
        ("/v1/infer", {"images": [image], "model": "tiny"}),
        *[("/v1/generate", {"digits": [7], "seed": 100 + n}) for n in range(3)]]

    async def scenario() -> tuple[list[httpx.Response], list[httpx.Response], int, int]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=LOCAL) as client:
                together = await asyncio.gather(*(client.post(path, json=body) for path, body in requests))
                models = app.state.registry._models.values()
                calls = sum(loaded.drawing.batches + loaded.reading.batches for loaded in models)
                alone = [await client.post(path, json=body) for path, body in requests]
                return together, alone, calls, len(requests)

    together, alone, calls_together, count = run(scenario())
    images: list[tuple[np.ndarray, np.ndarray]] = []
    for (path, body), first, second in zip(requests, together, alone, strict=True):
        assert first.status_code == second.status_code, (path, body, first.text)
        if first.headers["content-type"] == "image/png":
            images.append((pixels(first.content), pixels(second.content)))
        else:  # codes exactly, float readings within their last bits, images within the render guarantee
            assert_close(first.json(), second.json(), (path, body), images)
    assert len(images) == 31, len(images)  # 19 generated, a PNG grid, 10 traversed and a PNG strip
    assert_same_render(*(np.concatenate([pair[side].ravel() for pair in images]) for side in (0, 1)))
    statuses = [answer.status_code for answer in together]
    assert statuses.count(422) == 1 and statuses.count(200) == count - 1
    if max_batch > 1:  # the gathered requests shared network calls
        assert calls_together < count - 1, calls_together
