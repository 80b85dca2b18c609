"""The JSON bodies of the API as pydantic models: what OpenAPI at /docs shows and what requests are checked against.

Strict types: "7" is not a digit and 7.5 is not a seed. Values the SDK checks (digit range, code names, noise
width, finiteness) are left to the SDK, whose message becomes the 422's detail.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Number = float  # JSON numbers; NaN and infinity are refused by the SDK with a message
BEYOND = "allow continuous codes outside the range the model was trained on (GET /v1/models: each code's range); " \
    "images there are extrapolations"
REALNESS = "include each reading's realness (the discriminator's logit); deprecated where the model's manifest says " \
    "so (the bundled models: no better than chance at telling real from generated; use is_digit)"


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


Label = str | int  # a categorical value by its label ("sneaker") or its index


class GenerateRequest(Request):
    model: str | None = Field(None, description="a loaded model's name (default: the first)", max_length=200)
    digits: int | list[int] | None = Field(None, description="MNIST models: digit(s) 0-9; one digit with count "
                                           "repeats it")
    classes: Label | list[Label] | dict[str, Label | list[Label]] | None = Field(
        None, description="categorical codes by label or index (GET /v1/models lists them): one for the first code, "
        "a list (one per image), or {code name: label or list}")
    count: int | None = Field(None, ge=1, description="number of images (default: len(digits or classes), else 1)")
    seed: int | None = Field(None, ge=0, lt=2**63, description="seed for whatever is not given")
    continuous: dict[str, Number | list[Number]] | None = Field(
        None, description="named continuous codes: one value for all images, or one per image")
    noise: list[Number] | list[list[Number]] | None = Field(None, description="noise (noise_size,) or (N, noise_size)")
    return_noise: bool = Field(False, description="include each image's noise vector in the response")
    beyond_range: bool = Field(False, description=BEYOND)


class TraverseRequest(Request):
    model: str | None = Field(None, max_length=200)
    digit: int | None = Field(None, description="MNIST models: digit 0-9 (default: drawn from the seed)")
    classes: Label | dict[str, Label] | None = Field(
        None, description="categorical codes by label or index: one for the first code, or {code name: label}")
    code: str | int = Field(0, description="the continuous code to sweep: its name or index")
    values: list[Number] | None = Field(None, description="values to sweep (default: the code's sweep, 10 steps, "
                                        "beyond the trained range at both ends: the answer's beyond_range says which)")
    seed: int | None = Field(None, ge=0, lt=2**63)
    beyond_range: bool = Field(False, description=BEYOND)


class InferRequest(Request):
    model: str | None = Field(None, max_length=200)
    images: list[str] = Field(description="base64 images (PNG, JPEG, ...), optionally as data: URLs")
    preprocess: Literal["auto", "mnist", "none"] = "auto"
    realness: bool = Field(False, description=REALNESS)


class EditRequest(Request):
    model: str | None = Field(None, max_length=200)
    images: list[str] = Field(description="base64 images (PNG, JPEG, ...), optionally as data: URLs")
    preprocess: Literal["auto", "mnist", "none"] = "auto"
    digit: int | list[int] | None = Field(None, description="replaces the digit: one for all, or one per edit")
    continuous: dict[str, Number | list[Number]] | None = Field(
        None, description="added to the named continuous codes read: one value for all, or one per edit")
    reconstruct: bool = Field(False, description="also redraw each image unchanged (sources[i].reconstruction)")
    return_noise: bool = Field(False, description="include each edit's noise vector (the image's, as read)")
    beyond_range: bool = Field(False, description="allow changes wider than the range the model was trained on")


class GeneratedImage(BaseModel):
    png: str = Field(description="base64 PNG, 8-bit grayscale, white ink on black")
    digit: int
    codes: list[int] = Field(description="raw categorical values fed to the generator")
    continuous: dict[str, float]
    noise: list[float] | None = None


class GenerateResponse(BaseModel):
    model: str
    images: list[GeneratedImage]
    beyond_range: list[bool] | None = Field(None, description="traverse: which images have a code outside the range "
                                            "the model was trained on (the default sweep's outer ones)")


class EditSource(BaseModel):
    png: str = Field(description="the image as the encoder saw it (after preprocessing), base64 PNG")
    digit: int = Field(description="the digit read")
    continuous: dict[str, float] = Field(description="the continuous codes read")
    reconstruction: str | None = Field(None, description="with reconstruct: the image redrawn unchanged, base64 PNG")
    reconstruction_error: float | None = Field(None, description="with reconstruct: 1 - pixel correlation with it")


class EditResponse(BaseModel):
    model: str
    images: list[GeneratedImage] = Field(description="the edits; image i edits source i (or source 0 if one)")
    sources: list[EditSource]


class Reading(BaseModel):
    index: int
    name: str | None = Field(None, description="the uploaded file's name, if any")
    digit: int | None = None
    probabilities: list[float] | None = Field(None, description="probability of digit d at index d")
    continuous: dict[str, float] | None = None
    realness: float | None = Field(None, description="with realness: true, the discriminator's logit (> 0 looks "
                                   "real); deprecated in the bundled models")
    is_digit: bool | None = Field(None, description="whether the model thinks this is a digit at all (if it can)")
    digit_score: float | None = None
    in_domain: bool | None = Field(None, description="models other than MNIST's (is_digit there): whether the model "
                                   "thinks this is one of its kind of images at all (if it can)")
    domain_score: float | None = Field(None, description="higher: more like the model's training images")
    error: str | None = Field(None, description="set instead of the reading when this image could not be read")
    detail: str | None = None


class InferResponse(BaseModel):
    model: str
    results: list[Reading]


class ErrorResponse(BaseModel):
    error: str = Field(description="a short code: bad_request, unauthorized, not_found, too_large, ...")
    detail: str = Field(description="what was expected and what arrived")
