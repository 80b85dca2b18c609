"""What the command line says (issue 40's rough edges): --version, suggestions for misspelt flags and choices,
realness only when asked for, and warnings that name the file they are about."""

from __future__ import annotations

import importlib.metadata
import io
import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import infogan_sdk
from infogan_sdk import Encoder, Generator
from infogan_sdk.cli import main
from infogan_sdk.cli.parser import version
from infogan_sdk.loading.manifest import write_manifest


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"infogan {importlib.metadata.version('infogan-sdk')}\n"

    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)  # a checkout that was never installed
    assert version() == infogan_sdk.__version__


@pytest.mark.parametrize(("argv", "message"), [
    (["generate", "--rotaton", "0.5", "-o", "x.png"],
     "unrecognized arguments: --rotaton 0.5 (did you mean --rotation?)"),
    (["generate", "--widht=0.5", "-o", "x.png"], "unrecognized arguments: --widht=0.5 (did you mean --width?)"),
    (["infer", "x.png", "--recusive"], "unrecognized arguments: --recusive (did you mean --recursive?)"),
    (["--modle=mnist", "info"], "unrecognized arguments: --modle=mnist (did you mean --model?)"),
    (["generat", "-o", "x.png"], "invalid choice: 'generat' (choose from 'generate', "),
    (["generat", "-o", "x.png"], "(did you mean 'generate'?)"),
    (["infer", "x.png", "--format", "jsn"], "invalid choice: 'jsn' (choose from 'table', 'csv', 'jsonl', 'json') "
                                           "(did you mean 'json'?)"),
])
def test_misspelt_flags_and_choices_get_a_suggestion(argv: list[str], message: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_no_suggestion_without_a_close_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--zzz", "-o", "x.png"]) == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments: --zzz" in err and "did you mean" not in err


def _digits(generator: Generator, folder: Path) -> list[str]:
    paths = []
    for index, image in enumerate(generator.generate(digits=[2, 8], seed=0).to_pil()):
        paths.append(str(folder / f"digit{index}.png"))
        image.save(paths[-1])
    return paths


def test_realness_only_with_realness(model_dir: Path, generator: Generator, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    paths = _digits(generator, tmp_path)
    expected = Encoder(model_dir).infer(paths).realness
    for form in ("table", "csv", "jsonl"):
        assert main(["--model", str(model_dir), "infer", "--format", form, *paths]) == 0
        first = capsys.readouterr().out.splitlines()[0]  # the header (or the first JSON row)
        assert "realness" not in first.replace(str(tmp_path), ""), form
    assert main(["--model", str(model_dir), "infer", "--realness", *paths]) == 0
    captured = capsys.readouterr()
    header, first = captured.out.splitlines()[:2]
    assert header.split()[-1] == "realness" and float(first.split()[-1]) == pytest.approx(float(expected[0]), abs=1e-3)
    assert "deprecated" not in captured.err  # the tiny model's manifest does not deprecate it
    assert main(["--model", str(model_dir), "infer", "--realness", "--format", "csv", *paths]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].split(",")[:6] == ["file", "digit", "probability", "rotation", "width", "realness"]
    assert float(rows[2].split(",")[5]) == pytest.approx(float(expected[1]), abs=1e-5)


def test_realness_of_a_model_that_deprecates_it_comes_with_the_manifests_reason(
        model_dir: Path, generator: Generator, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = Path(shutil.copytree(model_dir, tmp_path / "model"))
    data = json.loads((folder / "manifest.json").read_text())
    data["realness"] = {"deprecated": True, "why": "no better than chance (AUROC 0.52)"}
    write_manifest(folder, data)
    assert Encoder(folder).realness_deprecated == "no better than chance (AUROC 0.52)"
    assert Encoder(model_dir).realness_deprecated is None
    paths = _digits(generator, tmp_path)
    assert main(["--model", str(folder), "infer", "--realness", "--format", "jsonl", *paths]) == 0
    captured = capsys.readouterr()
    assert "realness" in json.loads(captured.out.splitlines()[0])  # still reachable, asked for
    assert "manifest marks realness deprecated: no better than chance (AUROC 0.52)" in captured.err


def test_warnings_name_the_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The no-ink warning of stdin's bytes named "input 0 (bytes)", and edit / reconstruct's not-a-digit warning
    "input 1": both name the file as given."""
    generator = Generator("mnist", device="cpu")
    seven, bar, blank = tmp_path / "seven.png", tmp_path / "bar.png", tmp_path / "blank.png"
    Image.fromarray(generator.generate(digits=7, seed=0).images[0]).save(seven)
    pixels = np.zeros((28, 28), np.uint8)
    pixels[12:16, :] = 255
    Image.fromarray(pixels).save(bar)
    Image.new("L", (40, 40), 255).save(blank)
    with caplog.at_level(logging.WARNING, logger="infogan_sdk"):
        assert main(["reconstruct", str(seven), str(bar), "-o", str(tmp_path / "r.png")]) == 0
        assert main(["edit", str(seven), str(bar), "--thickness", "0.5", "-o", str(tmp_path / "e.png")]) == 0
    warned = [record.getMessage() for record in caplog.records if "not a digit" in record.getMessage()]
    assert len(warned) == 2 and all(f"input 1 ({str(bar)!r})" in text and "seven" not in text for text in warned)
    caplog.clear()
    buffer = io.BytesIO()
    Image.new("L", (40, 40), 255).save(buffer, format="PNG")
    with caplog.at_level(logging.WARNING, logger="infogan_sdk"):
        list(Encoder("mnist", device="cpu").infer_files([("scan-3.png", buffer.getvalue())]))
    assert any("no ink" in record.getMessage() and "input 0 ('scan-3.png')" in record.getMessage()
               for record in caplog.records), caplog.records
