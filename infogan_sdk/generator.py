"""`Generator`: latent codes -> images (grey or RGB, as the model draws), on an onnxruntime session created once."""

from __future__ import annotations

import dataclasses
import logging
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infogan_sdk.encoder import Encoder
from infogan_sdk.errors import IncompatibleModelError, InvalidInputError, did_you_mean, shown
from infogan_sdk.images.convention import from_model, pixel_correlation
from infogan_sdk.images.decode import ImageInput, row_labels
from infogan_sdk.latents import arguments
from infogan_sdk.latents.draw import Floats, Latents, batch_size, check_count, draw, floats
from infogan_sdk.loading.domain import domain_name
from infogan_sdk.loading.folders import ModelBase
from infogan_sdk.loading.labels import class_values
from infogan_sdk.loading.mnist import digit_codes
from infogan_sdk.loading.sessions import chunks
from infogan_sdk.results import GenerateResult, InferResult
from infogan_sdk.spec import CONTINUOUS, IMAGES

logger = logging.getLogger(__name__)
TRAVERSE_STEPS = 10  # images in a traverse without values


class Generator(ModelBase):
    """Draws images from an exported InfoGAN generator: MNIST digits, or any model's classes.

    Generator(model="mnist", *, device="auto", providers=None, provider_options=None, session_options=None,
    threads=None, spinning=True, variant=None, verify=True, chunk_size=1024): see `ModelBase` for each argument
    and error.

    >>> gen = Generator()  # the bundled "mnist" model; or Generator("path/to/model_dir", device="cpu")
    >>> out = gen.generate(digits=[7, 7, 1], seed=0)
    >>> out.images.shape, out.images.dtype
    ((3, 28, 28), dtype('uint8'))
    >>> out.grid(columns=3).save("sevens.png")
    >>> gen.traverse(digit=3, code=0, seed=0).grid(columns=10).save("code0.png")  # or a name: gen.continuous_names
    >>> gen.generate(digits=4, seed=1).to_records()[0]["digit"]
    4
    >>> gen.generate(classes=["7", "1"], seed=0).classes[:, 0].tolist()  # any model: its codes' labels (or indices)
    ['7', '1']
    """

    _role = "generator"
    _has_lanes = True  # its transposed convolutions scale across sessions, not within one (infogan_sdk.loading.lanes)
    _encoder: Encoder | None = None  # opened by the first reconstruct / edit

    def _check_session(self) -> None:
        expected, inputs = self.spec.generator_inputs(), self._session.inputs
        if set(inputs) != set(expected) or not all(_width_ok(inputs[name], width) for name, width in expected.items()):
            raise IncompatibleModelError(f"{self.path}: generator inputs must be {expected} (name: width), "
                                         f"got {inputs} (name: shape)")
        if IMAGES not in self._session.outputs:
            raise IncompatibleModelError(f"{self.path}: generator must output {IMAGES!r}, got {self._session.outputs}")

    def generate(self, digits: int | Sequence[int] | NDArray[np.integer[Any]] | None = None, *,
                 classes: Any = None, count: int | None = None, categorical: Any = None,
                 continuous: NDArray[Any] | Sequence[Any] | Mapping[str, Floats] | None = None,
                 rotation: Floats | None = None, width: Floats | None = None, thickness: Floats | None = None,
                 noise: NDArray[Any] | None = None, seed: int | None = None, codes: Any = None,
                 beyond_range: bool = False) -> GenerateResult:
        """Generate N images; whatever is not given is drawn from numpy.random.default_rng(seed).

        classes: the categorical codes by label or index (`categorical_codes` lists each code's labels): a label
        ("sneaker") or index for the first code, a list of them (one per image), or {code name: label, index or
        list} for any codes. digits (MNIST models): 0-9, an int or (N,). categorical: raw categorical values (N,) or
        (N, n_categorical) (what `GenerateResult.codes` holds). Give one of the three. codes: the old name of
        categorical (DeprecationWarning).
        count: N when nothing else fixes it (default 1); a single digit (or any length-1 input) is repeated.
        continuous: float (N, n_continuous) or (n_continuous,), or {name: float or (N,)}; rotation / width /
        thickness: the continuous code of that name (see `continuous_codes`: positive = leans right, wider,
        thicker in MNIST models; InvalidInputError if the model has no such code). Continuous values outside the
        range the model was trained on (`continuous_codes[i].range`: [-1, 1], or to 1.41 for a turned code) are
        refused unless beyond_range=True; drawn ones always lie inside it. noise: float (N, noise_size).
        Returns a GenerateResult (images uint8 (N, H, W) grey or (N, H, W, 3) RGB). Raises InvalidInputError.
        """
        if codes is not None:
            warnings.warn("generate(codes=...) is renamed generate(categorical=...)", DeprecationWarning, stacklevel=2)
            if categorical is not None:
                raise InvalidInputError("pass categorical= (its old name codes= is deprecated), not both")
            categorical = codes
        return self.render(self.latents(digits, classes=classes, count=count, categorical=categorical,
                                        continuous=continuous,
                                        rotation=rotation, width=width, thickness=thickness, noise=noise, seed=seed,
                                        beyond_range=beyond_range))

    def latents(self, digits: int | Sequence[int] | NDArray[np.integer[Any]] | None = None, *,
                classes: Any = None, count: int | None = None, categorical: Any = None,
                continuous: NDArray[Any] | Sequence[Any] | Mapping[str, Floats] | None = None,
                rotation: Floats | None = None, width: Floats | None = None, thickness: Floats | None = None,
                noise: NDArray[Any] | None = None, seed: int | None = None, beyond_range: bool = False) -> Latents:
        """The latent codes `generate` draws for these arguments, without running the network: `render` them, or
        join several calls' (`Latents.join`) and render them at once (what `infogan serve` does for concurrent
        requests: the images are the same, pixel for pixel). Raises InvalidInputError as `generate`."""
        given = [name for name, value in (("classes", classes), ("digits", digits), ("categorical", categorical))
                 if value is not None]
        if given == ["digits", "categorical"]:
            raise InvalidInputError("pass digits= (real digits) or categorical= (raw categorical values), not both")
        if len(given) > 1:
            raise InvalidInputError(f"pass one of classes= (labels or indices), digits= (MNIST models) and "
                                    f"categorical= (raw values), got {' and '.join(given)}")
        categorical = arguments.categorical(self.spec, categorical) if digits is None \
            else digit_codes(self.spec, self.code_to_digit, digits)
        chosen: NDArray[np.int64] | dict[int, NDArray[np.int64]] | None = categorical
        if classes is not None:
            chosen = class_values(self.categorical_codes, classes)
        columns = arguments.continuous(self.continuous_names, continuous, {"rotation": rotation, "width": width,
                                                                          "thickness": thickness})
        fixed_noise = arguments.noise(self.spec, noise)
        lengths = {} if categorical is None else {"digits" if digits is not None else "categorical": len(categorical)}
        if isinstance(chosen, dict):
            lengths.update({f"classes of {self.categorical_names[c]!r}": len(v) for c, v in chosen.items()})
        lengths.update({f"continuous code {self.continuous_names[c]!r}": len(v) for c, v in columns.items()})
        if fixed_noise is not None:
            lengths["noise"] = len(fixed_noise)
        n = batch_size(count, lengths)
        arguments.check_range(self.continuous_names, self._ranges, columns, beyond_range)
        return draw(self.spec, n, seed, chosen, columns, fixed_noise, self._basis)

    def traverse(self, digit: int | None = None, code: int | str = 0, values: Floats | None = None, *,
                 classes: Any = None, seed: int | None = None, beyond_range: bool = False) -> GenerateResult:
        """Sweep one continuous code over `values` with everything else fixed: one image per value.

        code: the continuous code's index or name. values: float (V,), default TRAVERSE_STEPS steps from -2 to 2
        (the continuous range's middle +- its width: beyond the trained range on purpose, to show where the code
        leads; `outside_range` says which images are). Values given outside the trained range are refused
        unless beyond_range=True. The other continuous codes sit at the range's middle (0), and all images share
        one noise vector and categorical codes: `digit` (MNIST models) or `classes` (one value per code, as
        `generate` takes them), drawn from the seed when not given.
        """
        latents = self.traverse_latents(digit, code, values, classes=classes, seed=seed, beyond_range=beyond_range)
        return dataclasses.replace(self.render(latents), columns=len(latents))  # its grid is one row

    def traverse_latents(self, digit: int | None = None, code: int | str = 0, values: Floats | None = None, *,
                         classes: Any = None, seed: int | None = None, beyond_range: bool = False) -> Latents:
        """The latent codes of `traverse` for these arguments, without running the network (see `latents`)."""
        names = self.continuous_names
        if isinstance(code, str) and code in names:
            column = names.index(code)
        elif isinstance(code, (int, np.integer)) and not isinstance(code, bool) and 0 <= code < len(names):
            column = int(code)
        else:
            raise InvalidInputError(f"code must be an index from 0 to {len(names) - 1} or one of {list(names)}, "
                                    f"got {shown(code)}{did_you_mean(code, names)}")
        low, high = self.spec.continuous_range
        middle = (low + high) / 2
        sweep = np.linspace(middle - (high - low), middle + (high - low), TRAVERSE_STEPS, dtype=np.float32) \
            if values is None else floats(values, "values", (1,))
        check_count(len(sweep), "the number of values")
        if values is not None:
            arguments.check_range(names, self._ranges, {column: sweep}, beyond_range)
        first = self.latents(digits=digit, classes=classes, seed=seed)  # one set of codes and one noise vector
        fixed = np.full((len(sweep), len(names)), middle, dtype=np.float32)
        fixed[:, column] = sweep
        codes = np.repeat(first.codes, len(sweep), axis=0) if self.spec.categorical_sizes else None
        return self.latents(categorical=codes, continuous=fixed, noise=np.repeat(first.noise, len(sweep), axis=0),
                            beyond_range=True)  # checked above: the default sweep goes beyond on purpose

    def outside_range(self, continuous: NDArray[Any]) -> NDArray[np.bool_]:
        """bool (N,): which rows of continuous codes (N, n_continuous), e.g. a result's, have a value outside the
        range the model was trained on (a default traverse's outer images; anything made with beyond_range=True)."""
        low, high = np.asarray(self._ranges, dtype=np.float32).T  # (k,) each
        return np.asarray(((continuous < low) | (continuous > high)).any(axis=1))

    @property
    def _ranges(self) -> list[tuple[float, float]]:
        return [code.range for code in self.continuous_codes]

    def reconstruct(self, images: ImageInput | Sequence[ImageInput], preprocess: str = "auto") -> GenerateResult:
        """Redraw N images from what the model's encoder reads in them: their codes and their noise.

        images, preprocess: as `Encoder.infer`. Returns a GenerateResult with `source` (the encoder's reading)
        and `reconstruction_error` (N,). Raises IncompatibleModelError for a model whose encoder has no `noise`
        output, InvalidInputError for bad images.
        """
        source = self._read(images, preprocess)
        assert source.noise is not None  # _read checked
        redrawn = self._run(Latents(source.codes, source.continuous, source.noise), source)
        error = (1.0 - pixel_correlation(redrawn.images, source.images)).astype(np.float32)
        return dataclasses.replace(redrawn, reconstruction_error=error)

    def edit(self, images: ImageInput | Sequence[ImageInput], *,
             digit: int | Sequence[int] | NDArray[Any] | None = None,
             continuous: NDArray[Any] | Sequence[Any] | Mapping[str, Floats] | None = None,
             rotation: Floats | None = None, width: Floats | None = None, thickness: Floats | None = None,
             preprocess: str = "auto", beyond_range: bool = False) -> GenerateResult:
        """Redraw N images with some codes changed and the rest, their handwriting (noise) included, as read.

        digit: replaces the digit (int or (N,)): the same handwriting as another digit. rotation / width /
        thickness, or continuous ((N, n_continuous), (n_continuous,) or {name: value}): *added* to the codes
        read (+1 is half the width of the codes' prior, U(-1, 1) in the bundled models; positive leans right,
        wider, thicker). Each argument has one value per image or one for all; one image with N values gives N
        edits of it. A change wider than the trained range (more than 2 in the bundled models) is refused unless
        beyond_range=True. images, preprocess: as `Encoder.infer`. The result's codes are those used; `source` is
        the encoder's reading.
        Raises IncompatibleModelError for a model whose encoder has no `noise` output, InvalidInputError.
        """
        digits = None if digit is None else digit_codes(self.spec, self.code_to_digit, digit)
        added = arguments.continuous(self.continuous_names, continuous, {"rotation": rotation, "width": width,
                                                                       "thickness": thickness})
        arguments.check_change(self.continuous_names, self._ranges, added, beyond_range)
        source = self._read(images, preprocess)  # after the checks of the arguments: nothing is read in vain
        assert source.noise is not None  # _read checked
        lengths = {"images": len(source), **({} if digits is None else {"digit": len(digits)}),
                   **{f"continuous code {self.continuous_names[c]!r}": len(v) for c, v in added.items()}}
        n = batch_size(None, lengths)  # every argument has 1 or n rows
        rows = np.zeros(n, dtype=np.int64) if len(source) == 1 else np.arange(n)  # the source row of each edit
        codes, values = source.codes[rows], source.continuous[rows]  # fancy indexing: new, writable arrays
        if digits is not None:
            codes[:, : digits.shape[1]] = digits
        for column, delta in added.items():
            values[:, column] += delta
        return self._run(Latents(codes, values, source.noise[rows]), source)

    @property
    def can_edit(self) -> bool:
        """Whether `reconstruct` and `edit` work: the model's encoder infers the noise too (opens it once)."""
        return self._editor().has_noise

    def _editor(self) -> Encoder:
        """The encoder of this model folder, opened on first use with this generator's options."""
        if self._encoder is None:
            variant = self._variant if f"encoder_{self._variant}" in self._manifest.data["files"] else None
            self._encoder = Encoder(self.path, variant=variant, **self._options)
        return self._encoder

    def _read(self, images: ImageInput | Sequence[ImageInput], preprocess: str) -> InferResult:
        """The encoder's reading of `images`, noise included, or IncompatibleModelError."""
        if not self.can_edit:
            raise IncompatibleModelError(f"model {self._manifest.data.get('name', self.path)!r} ({self.path}) cannot "
                                         "edit or reconstruct images: its encoder has no 'noise' output (python -m "
                                         "train --stage noise, then python -m export, add one)")
        read = self._editor().infer(images, preprocess)
        _warn_rejected(read, images, domain_name(self._manifest.data))
        return read

    def render(self, latents: Latents) -> GenerateResult:
        """The images of explicit latent codes (from `latents` or `traverse_latents`, or joined from several)."""
        return self._run(latents)

    def _run(self, latents: Latents, source: InferResult | None = None) -> GenerateResult:
        n = len(latents.codes)
        channels, height, width = self.spec.image_shape
        images = np.empty((n, height, width, *((3,) if channels == 3 else ())), dtype=np.uint8)
        for rows in chunks(n, self.chunk_size):
            feeds = latents.feeds(self.spec, rows)
            if self._basis is not None:  # the manifest's directions and axes: users' values -> the network's
                feeds[CONTINUOUS] = feeds[CONTINUOUS] @ self._basis
            (output,) = self._network([IMAGES], feeds, rows.stop - rows.start)
            if output.shape != (rows.stop - rows.start, *self.spec.image_shape):
                raise IncompatibleModelError(f"{self.path}: generator returned {IMAGES!r} of shape {output.shape}, "
                                             f"expected {(rows.stop - rows.start, *self.spec.image_shape)}")
            images[rows] = from_model(output, self.spec.pixel_range)
        mapping = np.asarray(self.code_to_digit, dtype=np.int64)
        digits = mapping[latents.codes[:, 0]] if len(mapping) and latents.codes.shape[1] \
            else np.full(n, -1, dtype=np.int64)
        return GenerateResult(images, digits, latents.codes, latents.continuous, latents.noise, self.continuous_names,
                              source, categorical_names=self.categorical_names,
                              categorical_labels=tuple(code.labels for code in self.categorical_codes))


def _warn_rejected(read: InferResult, images: ImageInput | Sequence[ImageInput], domain: str) -> None:
    """Name the images the model says are not of its kind (in_domain False: is_digit on MNIST models), which edit
    and reconstruct redraw as its kind all the same."""
    if read.in_domain is None or read.in_domain.all():
        return
    rejected, labels = np.flatnonzero(~read.in_domain), row_labels(images)
    shown_rows = ", ".join(labels[row] if len(labels) == len(read) else f"input {row}" for row in rejected[:5]) + \
        (f" and {len(rejected) - 5} more" if len(rejected) > 5 else "")
    if read.is_digit is not None:
        logger.warning("not a digit to this model (is_digit False): %s; edit and reconstruct redraw them as digits "
                       "anyway", shown_rows)
    else:
        logger.warning("not like this model's %s images (in_domain False): %s; edit and reconstruct redraw them as "
                       "%s images anyway", domain, shown_rows, domain)


def _width_ok(shape: tuple[object, ...], width: int) -> bool:
    """(batch, width) with the width matching, or symbolic (a str or None: checked when run)."""
    return len(shape) == 2 and (shape[1] == width or not isinstance(shape[1], int))
