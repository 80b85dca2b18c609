"""Reading many images: folders, globs, stdin, output formats, --skip-errors and the chunked Python iterator."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from infogan_sdk import Encoder, Generator, InvalidInputError
from infogan_sdk.cli import main
from infogan_sdk.images.files import expand

DIGITS = [3, 1, 4, 1, 5, 9, 2]


@pytest.fixture
def scans(generator: Generator, tmp_path: Path) -> Path:
    """scans/: 5 PNGs and a JPEG of known digits, a corrupt PNG, a non-image and a subfolder with one more PNG."""
    folder = tmp_path / "scans"
    (folder / "more").mkdir(parents=True)
    images = generator.generate(digits=DIGITS, seed=0).to_pil()
    for index, image in enumerate(images[:5]):
        image.save(folder / f"{index}.png")
    images[5].save(folder / "5.jpg", quality=95)
    images[6].save(folder / "more" / "6.png")
    (folder / "4_broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (folder / "labels.csv").write_text("not an image, and not read from a folder\n")
    return folder


def run(argv: list[str], capsys: pytest.CaptureFixture[str], model_dir: Path) -> tuple[int, str, str]:
    code = main(["--model", str(model_dir), "infer", "-q", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_folder_with_a_corrupt_file_skip_errors_records_it_and_exits_3(
        scans: Path, model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run([str(scans), "--skip-errors", "--format", "jsonl"], capsys, model_dir)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 3 and "1 file(s) could not be read" in err
    assert [Path(row["file"]).name for row in rows] == ["0.png", "1.png", "2.png", "3.png", "4.png", "4_broken.png",
                                                        "5.jpg"]
    assert [row["digit"] for row in rows] == [*DIGITS[:5], None, DIGITS[5]]
    broken = rows[5]
    assert "cannot read it as an image" in broken["error"] and "4_broken.png" in broken["error"]
    assert all(row["error"] is None for row in rows if row is not broken)
    code, out, err = run([str(scans)], capsys, model_dir)  # without --skip-errors: one bad file is an error
    assert code == 1 and "4_broken.png" in err and out == ""


def test_recursive_globs_and_the_python_iterator(scans: Path, encoder: Encoder, tmp_path: Path) -> None:
    assert [Path(p).name for p in expand([scans], recursive=True)][-1] == "6.png"
    assert [Path(p).name for p in expand([str(scans / "*.jpg"), str(scans / "none*.png")])] == ["5.jpg",
                                                                                               "none*.png"]
    assert len(list(expand([str(scans / "**" / "*.png")], recursive=True))) == 7
    batches = list(encoder.infer_files([scans], recursive=True, chunk_size=3, skip_errors=True))
    assert [len(b.files) for b in batches] == [3, 3, 2]
    assert [e is None for b in batches for e in b.errors] == [True] * 5 + [False, True, True]
    paths = [f for b in batches for f, e in zip(b.files, b.errors, strict=True) if e is None]
    whole = encoder.infer(paths)  # the same numbers as one call on the same files
    np.testing.assert_array_equal(np.concatenate([b.result.digits for b in batches if b.result]), whole.digits)
    np.testing.assert_array_equal(np.concatenate([b.result.continuous for b in batches if b.result]),
                                  whole.continuous)
    assert whole.digits.tolist() == [*DIGITS[:5], DIGITS[5], DIGITS[6]]
    with pytest.raises(InvalidInputError, match=r"4_broken\.png"):
        list(encoder.infer_files([scans]))
    empty = tmp_path / "empty"
    empty.mkdir()
    assert list(encoder.infer_files([empty])) == []


def test_formats_csv_json_table_and_output_file(scans: Path, model_dir: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(scans / f"{i}.png") for i in range(3)]
    out = tmp_path / "rows.csv"
    assert run([*files, "--format", "csv", "-o", str(out)], capsys, model_dir)[:2] == (0, "")
    with open(out, newline="") as handle:
        table = list(csv.DictReader(handle))
    assert [int(row["digit"]) for row in table] == DIGITS[:3] and table[0]["error"] == ""
    assert list(table[0])[:6] == ["file", "digit", "probability", "rotation", "width", "p0"]  # no realness asked
    probabilities = np.array([[float(row[f"p{d}"]) for d in range(10)] for row in table])
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-4)
    for argv in (["--format", "json"], ["--json"]):
        code, text, _ = run([*files, *argv], capsys, model_dir)
        assert code == 0 and [row["digit"] for row in json.loads(text)] == DIGITS[:3]
    code, text, _ = run([*files, str(scans / "4_broken.png"), "--skip-errors"], capsys, model_dir)
    lines = text.splitlines()
    assert code == 3 and lines[0].split()[:2] == ["file", "digit"] and "error: input 3" in lines[-1]
    assert [line.split()[1] for line in lines[1:4]] == [str(d) for d in DIGITS[:3]]
    code, text, _ = run([str(scans / "4_broken.png"), "--skip-errors", "--format", "json"], capsys, model_dir)
    assert code == 3 and json.loads(text)[0]["digit"] is None


def test_stdin_a_list_of_paths_or_one_images_bytes(scans: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    def stdin(data: bytes) -> None:
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))

    stdin(f"{scans / '0.png'}\r\n\n{scans / '1.png'}".encode())  # CRLF and a blank line are fine
    code, text, _ = run(["-", "--format", "jsonl"], capsys, model_dir)
    assert code == 0 and [json.loads(line)["digit"] for line in text.splitlines()] == DIGITS[:2]
    stdin((scans / "2.png").read_bytes())
    code, text, _ = run(["-", "--format", "json"], capsys, model_dir)
    assert code == 0 and json.loads(text) == [{**json.loads(text)[0], "file": "-", "digit": DIGITS[2]}]
    stdin(b"")  # nothing to read is a mistake to report, not an empty success (issue 22)
    code, text, errors = run(["-", "--format", "json"], capsys, model_dir)
    assert (code, text) == (1, "") and "no images found" in errors


def test_globs_and_walks_enter_real_folders_only_each_file_once(scans: Path, tmp_path: Path) -> None:
    (scans / ".hidden").mkdir()
    (scans / ".hidden" / "h.png").write_bytes(b"")
    (scans / "alias").symlink_to("more")  # a symlink to a folder: never entered by a walk
    (tmp_path / "linked").symlink_to(scans / "more")

    def names(paths: str | Path) -> list[str]:
        return [os.path.relpath(path, tmp_path) for path in expand([paths], recursive=True)]

    walked = names(scans)
    assert walked == [f"scans/{name}" for name in ["0.png", "1.png", "2.png", "3.png", "4.png", "4_broken.png",
                                                    "5.jpg", "more/6.png"]]
    assert names(str(scans / "**")) == walked  # matches scans/ and scans/more/: each file still once
    assert names(str(scans / "**" / "6.png")) == ["scans/more/6.png"]  # not scans/alias/6.png too
    assert names(str(tmp_path / "*" / "6.png")) == ["linked/6.png"]  # one level, as the shell: links followed
    assert names(tmp_path / "linked") == ["linked/6.png"]  # named itself, a linked folder is walked


def test_the_no_ink_warning_names_the_file(scans: Path, model_dir: Path, caplog: pytest.LogCaptureFixture,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    blank = scans / "blank.png"
    Image.new("L", (28, 28), 0).save(blank)
    with caplog.at_level(logging.WARNING, logger="infogan_sdk"):
        code, _, _ = run([str(scans / "0.png"), str(blank)], capsys, model_dir)
    warned = [record.getMessage() for record in caplog.records if "no ink" in record.getMessage()]
    assert code == 0 and warned == [f"no ink (uniform, or all paper): the encoder sees black images: input 1 "
                                    f"({str(blank)!r})"]
