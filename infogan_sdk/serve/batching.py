"""Dynamic batching: concurrent requests for one network gathered into one SDK call and split back.

Each `Batcher` runs its network on one worker thread. A request's work waits in the batcher's queue while the
worker is busy; when the worker is free it takes everything queued, up to `max_batch` images (a request bigger
than that runs alone), and runs it as one call. So a lone client waits for nobody (no added latency at
`max_wait` 0), and under load every call carries all the requests that arrived during the one before: one
batch of 16 costs about as much as two calls of one. `max_wait` > 0 also holds a batch that is not full yet for
up to that long, trading latency for bigger batches.

A batch is split back per request in the worker thread, where each request's answer is also encoded (PNG, JSON),
off the event loop. If a batch fails, its requests are run one by one, so one bad request fails only itself.
The images are those of a call of their own within 1 grey level (checked in tests; identical on most CPUs):
onnxruntime's GEMM may block by batch size, so floats can differ in their last bit and a pixel round apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)


@dataclass
class Job:
    """One request's part of a batch: what the network gets, how many images that is, and what to make of its
    share of the output (`finish(output)` -> the request's answer, run in the worker thread)."""

    payload: Any
    size: int
    finish: Callable[[Any], Any]
    future: asyncio.Future[Any] | None = None


class Batcher:
    """Runs `network(payloads) -> one output per payload` on batches of queued jobs (see the module's notes)."""

    def __init__(self, name: str, network: Callable[[Sequence[Any]], Sequence[Any]], max_batch: int,
                 max_wait: float) -> None:
        self.name = name
        self.network = network
        self.max_batch = max_batch
        self.max_wait = max_wait  # seconds a batch that is not full may wait for more jobs
        self.batches = 0  # calls made, and the images they carried (for logs and tests)
        self.images = 0
        self._queue: deque[Job] = deque()
        self._queued = 0  # images in the queue
        self._full: asyncio.Event | None = None
        self._running = False
        self._task: asyncio.Task[None] | None = None
        self._worker = ThreadPoolExecutor(1, thread_name_prefix=f"batch-{name}")

    async def submit(self, job: Job) -> Any:
        """The job's answer, once the batch it joined has run; raises what its own run raised."""
        loop = asyncio.get_running_loop()
        job.future = loop.create_future()
        self._queue.append(job)
        self._queued += job.size
        if self._full is None:
            self._full = asyncio.Event()
        if self._queued >= self.max_batch:
            self._full.set()
        if not self._running:
            self._running = True
            self._task = loop.create_task(self._drain())  # held: the loop keeps only a weak reference
        return await job.future

    def close(self) -> None:
        self._worker.shutdown(wait=True)
        if self.batches:
            logger.info("%s: %d network calls carried %d images (%.1f a call)", self.name, self.batches, self.images,
                        self.images / self.batches)

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._queue:
                if self.max_wait > 0 and self._queued < self.max_batch:
                    assert self._full is not None
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._full.wait(), self.max_wait)
                batch = self._take()
                try:
                    answers = await loop.run_in_executor(self._worker, self._run, batch)
                except Exception as error:  # the worker itself failed (it is shut down, ...): tell them all
                    answers = [error] * len(batch)
                for job, answer in zip(batch, answers, strict=True):
                    assert job.future is not None
                    if job.future.done():  # its request was cancelled meanwhile
                        continue
                    if isinstance(answer, BaseException):
                        job.future.set_exception(answer)
                    else:
                        job.future.set_result(answer)
        finally:
            self._running = False

    def _take(self) -> list[Job]:
        """The jobs of the next batch: the oldest first, then as many as fit in max_batch images."""
        batch = [self._queue.popleft()]
        size = batch[0].size
        while self._queue and size + self._queue[0].size <= self.max_batch:
            job = self._queue.popleft()
            batch.append(job)
            size += job.size
        self._queued -= size
        assert self._full is not None
        if self._queued < self.max_batch:
            self._full.clear()
        return batch

    def _run(self, batch: list[Job]) -> list[Any]:
        """Each job's answer or its exception, in order (in the worker thread)."""
        self.batches += 1
        self.images += sum(job.size for job in batch)
        try:
            outputs = list(self.network([job.payload for job in batch]))
        except Exception as error:
            if len(batch) == 1:
                return [error]
            logger.info("%s: a batch of %d requests failed; running them one by one", self.name, len(batch))
            return [self._run([job])[0] for job in batch]
        answers: list[Any] = []
        for job, output in zip(batch, outputs, strict=True):
            try:
                answers.append(job.finish(output))
            except Exception as error:
                answers.append(error)
        return answers
