"""Fuzzing the SDK's boundary: arrays, bytes, image files and PIL images to `Encoder.infer`, argument mixes to
`Generator.generate` / `traverse`. Each input must end in a valid result or an InvalidInputError (see outcomes.py).

CI runs a few hundred examples per test; INFOGAN_FUZZ=long runs thousands. Counts go to the hardening report.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays
from PIL import Image

from infogan_sdk import Encoder, GenerateResult, Generator, InferResult, InvalidInputError
from infogan_sdk.latents.draw import MAX_COUNT

from .corpus import MUTATIONS, digit, seed_files
from .outcomes import attempt
from .report import Tally, long_mode


def fuzz(ci: int, long: int = 4000) -> settings:
    """Hypothesis settings: `ci` examples in a normal run, `long` with INFOGAN_FUZZ=long; no deadline (shared CPUs)."""
    return settings(max_examples=long if long_mode("FUZZ") else ci, deadline=None, print_blob=True,
                    suppress_health_check=list(HealthCheck))


ROOT = Path(__file__).resolve().parents[2]
SEED_NAMES = sorted(seed_files())


@pytest.fixture(scope="module")
def seeds(generator: Generator) -> dict[str, bytes]:
    """The corpus, made from a generated 7 so that every valid file must read as 7."""
    return seed_files(generator.generate(digits=7, seed=0).images[0])


DTYPES = [np.bool_, np.int8, np.uint8, np.int32, np.int64, np.uint64, np.float16, np.float32, np.float64,
          np.complex64, np.complex128, np.dtype(object), np.dtype("U3")]
ODD_SHAPES = [(28, 28), (3, 28, 28), (0, 28, 28), (28, 0), (1, 1), (1, 300), (300, 2), (40, 64), (1, 28, 28, 1),
              (2, 1, 28, 28), (0,), ()]
SHAPES = st.one_of(array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=8), st.sampled_from(ODD_SHAPES))


@st.composite
def image_arrays(draw: st.DrawFn) -> np.ndarray:
    """Arrays of every dtype and 0-4 dimensions (zero-size included), values from the whole range (NaN, infinities,
    huge) or, for floats, mostly valid [0, 1]; plain, reversed, transposed or big-endian."""
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    elements: Any = None  # hypothesis' from_dtype: the full range of the dtype, NaN and infinities included
    if dtype.kind == "O":
        elements = st.one_of(st.none(), st.integers(-300, 300), st.floats(), st.text(max_size=2))
    elif dtype.kind == "f" and draw(st.booleans()):
        elements = st.floats(0, 1, width=dtype.itemsize * 8)
    array = draw(arrays(dtype, draw(SHAPES), elements=elements))
    layout = draw(st.sampled_from(["plain", "reversed", "transposed", "big_endian"]))
    if layout == "reversed" and array.ndim:
        return array[::-1]
    if layout == "transposed":
        return array.T
    if layout == "big_endian" and dtype.kind in "iufc" and dtype.itemsize > 1:
        return array.astype(dtype.newbyteorder(">"))
    return array


def check_infer(result: InferResult, n: int) -> None:
    assert len(result) == n and result.images.shape == (n, 28, 28) and result.images.dtype == np.uint8
    assert result.probabilities.shape == (n, 10) and np.isfinite(result.probabilities).all()
    np.testing.assert_allclose(result.probabilities.sum(axis=1), 1.0, rtol=1e-4)
    assert ((result.digits >= 0) & (result.digits <= 9)).all()
    assert np.isfinite(result.continuous).all() and np.isfinite(result.realness).all()


def images_in(item: Any) -> int:
    """How many images a valid array input holds."""
    return 1 if np.ndim(item) == 2 else len(item)


@fuzz(300)
@given(array=image_arrays(), wrap=st.sampled_from(["bare", "list", "after_a_valid_image"]),
       preprocess=st.sampled_from(["auto", "mnist", "none"]))
def test_infer_random_arrays(encoder: Encoder, tally: Tally, array: np.ndarray, wrap: str, preprocess: str) -> None:
    before = array.copy()
    inputs: Any = {"bare": array, "list": [array], "after_a_valid_image": [digit(), array]}[wrap]
    result = attempt(tally, "infer/arrays", lambda: encoder.infer(inputs, preprocess=preprocess), (InvalidInputError,))
    if result is not None:
        check_infer(result, images_in(array) + (wrap == "after_a_valid_image"))
    if array.dtype.kind != "O":
        assert array.tobytes() == before.tobytes(), "infer changed the caller's array"


MAGIC = [b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"BM", b"GIF89a", b"II*\x00", b"MM\x00*",
         b"RIFF\x00\x00\x00\x00WEBPVP8L", b"P5\n28 28\n255\n", b"%!PS-Adobe-3.0 EPSF-3.0\n", b"\x00\x00\x01\x00"]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@fuzz(300)
@given(prefix=st.sampled_from(MAGIC), body=st.binary(max_size=2048), as_path=st.booleans())
def test_infer_random_bytes(encoder: Encoder, tally: Tally, scratch: Path, prefix: bytes, body: bytes,
                            as_path: bool) -> None:
    data = prefix + body
    source: Any = data
    if as_path:
        source = scratch / "random.bin"
        source.write_bytes(data)
    result = attempt(tally, "infer/random_bytes", lambda: encoder.infer(source), (InvalidInputError,))
    if result is not None:
        check_infer(result, 1)


def test_every_seed_file_is_read(encoder: Encoder, tally: Tally, seeds: dict[str, bytes]) -> None:
    """The corpus is valid before it is mutated (and every format the SDK reads really decodes)."""
    for name, data in seeds.items():
        result = attempt(tally, "infer/seed_files", lambda data=data: encoder.infer(data))
        assert result is not None, name
        check_infer(result, 1)
        assert result.digits[0] == 7, f"{name}: read as {result.digits[0]}"


@fuzz(600)
@given(name=st.sampled_from(SEED_NAMES), mutation=st.sampled_from(sorted(MUTATIONS)),
       seed=st.integers(0, 2**32 - 1), rounds=st.integers(1, 3))
def test_infer_mutated_image_files(encoder: Encoder, tally: Tally, seeds: dict[str, bytes], name: str,
                                   mutation: str, seed: int, rounds: int) -> None:
    rng, data = np.random.default_rng(seed), seeds[name]
    for _ in range(rounds):
        data = MUTATIONS[mutation](data, rng) if data else data
    result = attempt(tally, f"infer/mutated_files/{name.split('_')[0]}", lambda: encoder.infer(data),
                     (InvalidInputError,))
    if result is not None:
        check_infer(result, 1)


PIL_MODES = ["1", "L", "P", "RGB", "RGBA", "CMYK", "YCbCr", "LAB", "HSV", "I", "F", "I;16", "I;16B", "LA", "PA",
             "RGBX", "La", "RGBa"]


@fuzz(300)
@given(mode=st.sampled_from(PIL_MODES), width=st.integers(0, 70), height=st.integers(0, 70),
       seed=st.integers(0, 2**32 - 1), transparency=st.booleans())
def test_infer_pil_images_of_every_mode(encoder: Encoder, tally: Tally, mode: str, width: int, height: int,
                                        seed: int, transparency: bool) -> None:
    size = len(Image.new(mode, (width, height)).tobytes())
    image = Image.frombytes(mode, (width, height), np.random.default_rng(seed).bytes(size))
    if transparency:
        image.info["transparency"] = 0
    result = attempt(tally, "infer/pil_images", lambda: encoder.infer(image), (InvalidInputError,))
    if result is not None:
        check_infer(result, 1)


# ---- Generator.generate and traverse: every argument of odd type, value and shape ----

SCALARS = st.one_of(st.integers(-3, 12), st.integers(-2**70, 2**70), st.booleans(), st.floats(), st.text(max_size=2),
                    st.builds(np.int8, st.integers(-128, 127)), st.builds(np.uint64, st.integers(0, 2**64 - 1)),
                    st.builds(np.float32, st.floats(width=32)), st.just(None), st.just(b"7"))
RAGGED = st.lists(st.one_of(SCALARS, st.lists(SCALARS, max_size=3)), min_size=2, max_size=4)
NUMERIC = [np.int8, np.uint8, np.int64, np.uint64, np.float16, np.float32, np.float64, np.bool_, np.dtype(object)]


def numeric_arrays(shapes: st.SearchStrategy[tuple[int, ...]]) -> st.SearchStrategy[np.ndarray]:
    return st.sampled_from(NUMERIC).flatmap(lambda dtype: arrays(
        dtype, shapes, elements=st.one_of(st.none(), st.integers(-5, 12)) if np.dtype(dtype).kind == "O" else None))


def odd_values(shapes: st.SearchStrategy[tuple[int, ...]]) -> st.SearchStrategy[Any]:
    """None, scalars, lists (also ragged), tuples, dicts and numpy arrays of the given shapes."""
    return st.one_of(st.none(), SCALARS, st.lists(SCALARS, max_size=12), st.tuples(SCALARS, SCALARS), RAGGED,
                     st.dictionaries(st.text(max_size=3), SCALARS, max_size=2), numeric_arrays(shapes))


def batch_shapes(width: int) -> st.SearchStrategy[tuple[int, ...]]:
    """(width,), (N, width), wrong widths, empty and 3-D shapes."""
    sides = st.integers(0, 12)
    return st.one_of(st.tuples(st.sampled_from([width, width - 1, width + 1, 0])),
                     st.tuples(sides, st.sampled_from([width, width - 1, 0])), st.tuples(sides, sides, sides),
                     st.just(()))


def rarely(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """None three times in four: most calls then pass only a few arguments, so valid results are common too."""
    return st.integers(0, 3).flatmap(lambda pick: strategy if pick == 0 else st.none())


def mostly(valid: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`valid` two times in three, else `odd`."""
    return st.integers(0, 2).flatmap(lambda pick: odd if pick == 0 else valid)


VALID_FLOATS = st.floats(-3, 3, width=32)
DIGITS = mostly(st.one_of(st.none(), st.integers(0, 9), st.lists(st.integers(0, 9), min_size=1, max_size=12)),
                odd_values(st.tuples(st.integers(0, 12))))
CODES = 3  # the default model's continuous codes: thickness, c1, c2
CONTINUOUS = rarely(mostly(st.one_of(st.lists(VALID_FLOATS, min_size=CODES, max_size=CODES), st.fixed_dictionaries(
    {}, optional={"thickness": VALID_FLOATS, "c1": VALID_FLOATS})), st.one_of(odd_values(batch_shapes(CODES)),
    st.dictionaries(st.sampled_from(["thickness", "c1", "c2", "rotation", "width", "c0", "", 0]), st.one_of(
        VALID_FLOATS, odd_values(st.tuples(st.integers(0, 12)))), max_size=3))))
COUNTS = mostly(st.one_of(st.none(), st.integers(1, 40)), st.one_of(st.integers(-3, 0), st.sampled_from(
    [MAX_COUNT + 1, 2**63, -2**63, 2**64]), st.booleans(), st.floats(), st.text(max_size=2), st.builds(
    np.int32, st.integers(-5, 40))))
SEEDS_ARG = mostly(st.one_of(st.none(), st.integers(0, 2**70), st.builds(np.uint64, st.integers(0, 2**64 - 1))),
                   st.one_of(st.integers(-2**70, -1), st.booleans(), st.floats(), st.builds(np.int64, st.integers(
                       -5, 5)), st.text(max_size=2)))


def check_generate(result: GenerateResult) -> None:
    n = len(result)
    assert 1 <= n <= 40 and result.images.shape == (n, 28, 28) and result.images.dtype == np.uint8
    assert result.digits.shape == (n,) and ((result.digits >= 0) & (result.digits <= 9)).all()
    assert result.codes.shape == (n, 1) and result.continuous.shape == (n, CODES) and result.noise.shape == (n, 62)
    assert result.continuous.dtype == result.noise.dtype == np.float32
    assert np.isfinite(result.continuous).all() and np.isfinite(result.noise).all()


@pytest.mark.slow  # the fast suite's biggest fuzz run; ./scripts/test runs it
@fuzz(400)
@given(digits=DIGITS, codes=rarely(odd_values(batch_shapes(1))), count=COUNTS, continuous=CONTINUOUS,
       rotation=rarely(st.one_of(VALID_FLOATS, odd_values(st.tuples(st.integers(0, 12))))),
       noise=rarely(st.one_of(numeric_arrays(st.just((1, 62))), odd_values(batch_shapes(62)))), seed=SEEDS_ARG)
def test_generate_random_arguments(generator: Generator, tally: Tally, digits: Any, codes: Any, count: Any,
                                   continuous: Any, rotation: Any, noise: Any, seed: Any) -> None:
    def call() -> GenerateResult:
        return generator.generate(digits, count=count, categorical=codes, continuous=continuous, rotation=rotation,
                                  noise=noise, seed=seed)

    result = attempt(tally, "generate/arguments", call, (InvalidInputError,))
    if result is not None:
        check_generate(result)
        if seed is not None:
            assert np.array_equal(call().images, result.images), "the same seed gave different images"


@fuzz(100)
@given(digit_=mostly(st.one_of(st.none(), st.integers(0, 9)), SCALARS),
       code=mostly(st.sampled_from([0, 2, "thickness", "c1"]), st.one_of(st.sampled_from(["width", 3, -1]), SCALARS)),
       values=rarely(odd_values(st.tuples(st.integers(0, 12)))), seed=SEEDS_ARG)
def test_traverse_random_arguments(generator: Generator, tally: Tally, digit_: Any, code: Any, values: Any,
                                   seed: Any) -> None:
    result = attempt(tally, "traverse/arguments", lambda: generator.traverse(digit_, code, values, seed=seed),
                     (InvalidInputError,))
    if result is not None:
        check_generate(result)


# ---- decompression bombs, in a fresh process whose peak memory (VmHWM, reset before each part) is measured ----

BOMB_SCRIPT = """
import json, time, warnings
warnings.simplefilter("ignore")  # Pillow warns about sizes over its soft limit before the SDK refuses them
import numpy as np
from infogan_sdk import Encoder, InvalidInputError
from tests.hardening.corpus import bombs, largest_accepted

def status(key):  # in MB, from /proc/self/status
    return next(int(line.split()[1]) / 1024 for line in open("/proc/self/status") if line.startswith(key))

def reset_peak():  # writing 5 to clear_refs resets VmHWM (the peak RSS) to the current RSS
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")
    return status("VmRSS:")

encoder, files = Encoder("mnist", device="cpu", threads=1), bombs()
encoder.infer(np.zeros((28, 28), np.uint8))
base, report = reset_peak(), {"bombs": {}}
for name, data in files.items():
    started = time.perf_counter()
    try:
        encoder.infer(data)
        outcome = "valid"
    except InvalidInputError as error:
        outcome = type(error).__name__
    report["bombs"][name] = {"bytes": len(data), "outcome": outcome, "seconds": time.perf_counter() - started}
report["peak_rss_growth_mb"] = status("VmHWM:") - base
data = largest_accepted()
base, started = reset_peak(), time.perf_counter()
encoder.infer(data)
report["largest_accepted_4096x4096"] = {"seconds": time.perf_counter() - started,
                                        "peak_rss_growth_mb": status("VmHWM:") - base}
print(json.dumps(report))
"""


def test_decompression_bombs_are_refused_fast_with_bounded_memory(tally: Tally) -> None:
    """Small files declaring up to 100000x100000 pixels (PNG, GIF, BMP, JPEG, TIFF, WebP): refused before decoding."""
    done = subprocess.run([sys.executable, "-c", BOMB_SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.splitlines()[-1])
    for name, entry in report["bombs"].items():
        tally.count("infer/decompression_bombs", entry["outcome"])
        assert entry["outcome"] == "InvalidInputError", f"{name} was not refused"
        assert entry["seconds"] < 1.0, f"{name} took {entry['seconds']:.2f} s to refuse"
    growth = report["peak_rss_growth_mb"]
    assert growth < 32, f"refusing the bombs raised peak memory by {growth} MB"
    assert report["largest_accepted_4096x4096"]["peak_rss_growth_mb"] < 512
    tally.measure("decompression_bombs", report)
