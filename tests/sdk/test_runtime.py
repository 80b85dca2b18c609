"""Device and provider selection with onnxruntime's provider list faked (no GPU needed)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest

from infogan_sdk import DeviceUnavailableError, Generator, InvalidInputError
from infogan_sdk.loading.sessions import CPU, CUDA, NO_SPINNING, parse_device

REAL_SESSION = ort.InferenceSession


class FakeOrt:
    """Controls the fake: which providers onnxruntime offers, and what a created session reports."""

    def __init__(self) -> None:
        self.available = [CPU]
        self.falls_back = False  # a CUDA session silently runs on the CPU
        self.fails_on_cuda = False  # creating a CUDA session raises
        self.requests: list[list[Any]] = []
        self.options: list[Any] = []

    def session(self, model: bytes, sess_options: Any = None, providers: Any = None) -> Any:
        self.requests.append(list(providers))
        self.options.append(sess_options)
        names = [p[0] if isinstance(p, tuple) else p for p in providers]
        if names[0] == CUDA and self.fails_on_cuda:
            raise RuntimeError("CUDA failure: libcudnn.so.9 not found")
        uses = [CPU] if self.falls_back or names[0] != CUDA else [CUDA, CPU]
        real = REAL_SESSION(model, sess_options=sess_options, providers=[CPU])  # really runs on the CPU
        options = {CUDA: {"device_id": str(providers[0][1]["device_id"])}} if uses[0] == CUDA else {}
        return FakeSession(real, uses, options)


class FakeSession:
    def __init__(self, real: Any, providers: list[str], options: dict[str, Any]) -> None:
        self._real, self._providers, self._options = real, providers, options

    def get_providers(self) -> list[str]:
        return self._providers

    def get_provider_options(self) -> dict[str, Any]:
        return self._options

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeOrt:
    controller = FakeOrt()
    monkeypatch.setattr(ort, "get_available_providers", lambda: list(controller.available))
    monkeypatch.setattr(ort, "InferenceSession", controller.session)

    def forbidden(*args: object) -> None:
        raise AssertionError("the SDK must not change onnxruntime's global state")
    monkeypatch.setattr(ort, "set_default_logger_severity", forbidden)
    return controller


def test_auto_uses_cpu_when_cuda_is_not_offered(fake: FakeOrt, model_dir: Path) -> None:
    generator = Generator(model_dir)
    assert generator.device == "cpu" and generator.providers == [CPU]
    assert [p[0] for p in fake.requests[0]] == [CPU]


def test_auto_uses_cuda_when_offered_and_really_used(fake: FakeOrt, model_dir: Path) -> None:
    fake.available = [CUDA, CPU]
    generator = Generator(model_dir)
    assert generator.device == "cuda:0" and generator.providers == [CUDA, CPU]
    assert fake.requests[0][0] == (CUDA, {"device_id": 0})
    assert generator.generate(digits=[1, 2], seed=0).images.shape == (2, 28, 28)


def test_auto_accepts_a_silent_cpu_fallback(fake: FakeOrt, model_dir: Path) -> None:
    fake.available, fake.falls_back = [CUDA, CPU], True
    generator = Generator(model_dir)
    assert generator.device == "cpu" and generator.providers == [CPU]


def test_auto_falls_back_to_cpu_when_cuda_session_fails(fake: FakeOrt, model_dir: Path,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    fake.available, fake.fails_on_cuda = [CUDA, CPU], True
    with caplog.at_level(logging.WARNING, logger="infogan_sdk"):
        generator = Generator(model_dir)
    assert generator.device == "cpu" and "CUDA session failed" in caplog.text


def test_explicit_cuda_without_the_provider_is_refused(fake: FakeOrt, model_dir: Path) -> None:
    with pytest.raises(DeviceUnavailableError, match=r"device 'cuda:0' needs onnxruntime's CUDAExecutionProvider, "
                                                     r"but this onnxruntime .* offers \['CPUExecutionProvider'\]"):
        Generator(model_dir, device="cuda")
    assert fake.requests == []  # no session was created


def test_explicit_cuda_refuses_a_silent_fallback(fake: FakeOrt, model_dir: Path) -> None:
    fake.available, fake.falls_back = [CUDA, CPU], True
    with pytest.raises(DeviceUnavailableError, match=r"asked for cuda:1, but onnxruntime fell back to "
                                                     r"\['CPUExecutionProvider'\]"):
        Generator(model_dir, device="cuda:1")


def test_explicit_cuda_refuses_a_failing_session(fake: FakeOrt, model_dir: Path) -> None:
    fake.available, fake.fails_on_cuda = [CUDA, CPU], True
    with pytest.raises(DeviceUnavailableError, match=r"could not create a CUDA session on cuda:0: .*libcudnn"):
        Generator(model_dir, device="cuda:0")


def test_explicit_cuda_index_is_passed_and_reported(fake: FakeOrt, model_dir: Path) -> None:
    fake.available = [CUDA, CPU]
    generator = Generator(model_dir, device="cuda:1", provider_options={"arena_extend_strategy": "kSameAsRequested"})
    assert generator.device == "cuda:1"
    assert fake.requests[0][0] == (CUDA, {"device_id": 1, "arena_extend_strategy": "kSameAsRequested"})


def test_explicit_cpu_never_asks_for_cuda(fake: FakeOrt, model_dir: Path) -> None:
    fake.available = [CUDA, CPU]
    assert Generator(model_dir, device="cpu").device == "cpu"
    assert [p[0] for p in fake.requests[0]] == [CPU]


def test_raw_providers_and_session_options_pass_through(fake: FakeOrt, model_dir: Path) -> None:
    options = ort.SessionOptions()
    generator = Generator(model_dir, providers=[CPU], session_options=options)
    assert fake.requests[0] == [CPU] and fake.options[0] is options and generator.device == "cpu"
    Generator(model_dir, threads=2)
    assert fake.options[1].intra_op_num_threads == 2


def test_spinning_false_lets_idle_threads_sleep(fake: FakeOrt, model_dir: Path) -> None:
    Generator(model_dir, threads=2, spinning=False)
    Generator(model_dir, threads=2)
    assert fake.options[0].get_session_config_entry(NO_SPINNING[0]) == "0"
    assert fake.options[0].intra_op_num_threads == 2
    with pytest.raises(Exception, match="does not have configuration"):  # onnxruntime's default: spinning
        fake.options[1].get_session_config_entry(NO_SPINNING[0])


def test_provider_in_use_is_logged_once(fake: FakeOrt, model_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="infogan_sdk"):
        generator = Generator(model_dir)
        generator.generate(count=3, seed=0)
        generator.generate(count=3, seed=1)
    messages = [record.getMessage() for record in caplog.records if record.name == "infogan_sdk.loading.sessions"]
    assert len(messages) == 1 and "runs on cpu" in messages[0] and CPU in messages[0]


@pytest.mark.parametrize("device", ["gpu", "cpu:0", "cuda:x", "CUDA", "", 0])
def test_bad_device_strings(device: Any, model_dir: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got"):
        Generator(model_dir, device=device)


def test_conflicting_or_bad_session_arguments(model_dir: Path) -> None:
    with pytest.raises(InvalidInputError, match="providers= is the raw onnxruntime list: pass it without device="):
        Generator(model_dir, device="cpu", providers=[CPU])
    with pytest.raises(InvalidInputError, match="pass either threads= or session_options="):
        Generator(model_dir, threads=1, session_options=ort.SessionOptions())
    with pytest.raises(InvalidInputError, match="pass either spinning=False or session_options="):
        Generator(model_dir, spinning=False, session_options=ort.SessionOptions())
    with pytest.raises(InvalidInputError, match="spinning must be True or False, got 0"):
        Generator(model_dir, spinning=0)  # type: ignore[arg-type]
    for threads in (0, -1, 1.5, True):
        with pytest.raises(InvalidInputError, match="threads must be an integer from 1 to 1024, got"):
            Generator(model_dir, threads=threads)  # type: ignore[arg-type]


def test_parse_device() -> None:
    assert parse_device("auto") == ("auto", 0)
    assert parse_device("cuda") == ("cuda", 0)
    assert parse_device("cuda:3") == ("cuda", 3)


def test_sessions_really_run_with_one_thread(model_dir: Path) -> None:
    one = Generator(model_dir, device="cpu", threads=1).generate(count=4, seed=0).images
    default = Generator(model_dir, device="cpu").generate(count=4, seed=0).images
    np.testing.assert_array_equal(one, default)
