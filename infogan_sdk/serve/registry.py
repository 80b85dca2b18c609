"""The models the service runs: one Generator and one Encoder per model, loaded once and shared by every request."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infogan_sdk import Encoder, GenerateResult, Generator, InferResult, available_models
from infogan_sdk.errors import shown
from infogan_sdk.latents.draw import Latents
from infogan_sdk.results import Result, take
from infogan_sdk.serve.batching import Batcher
from infogan_sdk.serve.config import ServeConfig
from infogan_sdk.serve.errors import ApiError
from infogan_sdk.serve.model_info import describe_model

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedModel:
    name: str
    generator: Generator
    encoder: Encoder
    description: dict[str, Any]
    drawing: Batcher  # generate and traverse requests' latents -> their images
    reading: Batcher  # infer requests' preprocessed pixels -> their readings

    @classmethod
    def open(cls, name: str, model: str, config: ServeConfig) -> LoadedModel:
        # onnxruntime's threads sleep between calls: spinning, they took the cores the event loop and the
        # requests' encoding need (2 cores: /v2 binary generate at 16 clients 1.9x the requests a second)
        generator = Generator(model, device=config.device, threads=config.threads, spinning=False)
        encoder = Encoder(model, device=config.device, threads=config.threads, spinning=False)
        wait = config.batch_wait_ms / 1000

        def draw(parts: Sequence[Latents]) -> list[GenerateResult]:
            return split(generator.render(Latents.join(parts)), [len(part) for part in parts])

        def read(parts: Sequence[NDArray[np.uint8]]) -> list[InferResult]:
            pixels = parts[0] if len(parts) == 1 else np.concatenate(parts)
            return split(encoder.infer(pixels, preprocess="none"), [len(part) for part in parts])

        return cls(name, generator, encoder, describe_model(name, generator, encoder),
                   Batcher(f"{name}-generator", draw, config.max_batch, wait),
                   Batcher(f"{name}-encoder", read, config.max_batch, wait))


def split(result: Result, sizes: list[int]) -> list[Result]:
    """A batch's result cut back into its parts' (views); a batch of one part is its own result."""
    if len(sizes) == 1:  # the lone request's: slicing every array costs 10 us and changes nothing
        return [result]
    ends = list(accumulate(sizes))
    return [take(result, slice(end - size, end)) for size, end in zip(sizes, ends, strict=True)]


class Registry:
    """Loaded models by name; `ready` once every model is loaded and has answered one warm-up call."""

    def __init__(self) -> None:
        self._models: dict[str, LoadedModel] = {}
        self._default = ""
        self.ready = False

    def load(self, config: ServeConfig) -> None:
        """Load every configured model (raises the SDK's errors), then warm each up with one generate + infer."""
        started = time.perf_counter()
        for model in config.models:
            name = model if model in available_models() else Path(model).name
            if name in self._models:
                raise ApiError(422, f"two models are both named {name!r}; give folders with different names")
            self._models[name] = LoadedModel.open(name, model, config)
            self._default = self._default or name
        for loaded in self._models.values():  # the first runs allocate and pick kernels: not on a user's request
            drawn = loaded.generator.generate(count=1, seed=0).images
            loaded.encoder.infer(drawn)
            if loaded.encoder.has_noise:  # and open the generator's own encoder, which edit uses
                loaded.generator.reconstruct(drawn)
        self.ready = True
        logger.info("serving %s (loaded and warmed up in %.2f s)", ", ".join(self._models),
                    time.perf_counter() - started)

    def get(self, name: str | None) -> LoadedModel:
        """The model called `name` (None: the default); 503 before start-up finished, 404 for an unknown name."""
        if not self.ready:
            raise ApiError(503, "the models are still loading; retry shortly", "not_ready", {"Retry-After": "1"})
        if name is None:
            return self._models[self._default]
        if name not in self._models:
            raise ApiError(404, f"no model named {shown(name)} is loaded; loaded models: {', '.join(self._models)}")
        return self._models[name]

    def close(self) -> None:
        """Stop the batchers' worker threads (after their last batch)."""
        for loaded in self._models.values():
            loaded.drawing.close()
            loaded.reading.close()

    @property
    def default(self) -> str:
        return self._default

    def descriptions(self) -> list[dict[str, Any]]:
        self.get(None)  # 503 until ready
        return [loaded.description for loaded in self._models.values()]
