"""`infogan infer` on odd folders (issue 37): symlink loops, FIFOs, devices and sockets named like images, entries
that cannot be read or listed, files that vanish, and names that are not UTF-8, in every output format and on
standard input. Every run ends in bounded time with exactly one row per real file, the bad entries reported."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from infogan_sdk import Encoder, Generator
from infogan_sdk.cli import main

from .report import Tally

pytestmark = pytest.mark.skipif(os.name != "posix", reason="FIFOs, Unix sockets and byte-string names are POSIX's")
DIGITS = [3, 8, 5, 1]
HANG = 30  # seconds: each of these runs takes well under 1 s once fixed; a hang or a runaway walk fails here
BAD_NAME = b"bad\xff.png"  # not UTF-8


@pytest.fixture(scope="module")
def pngs(tiny_dir: Path) -> list[bytes]:
    """PNG files of DIGITS drawn by the tiny model, which reads each back as its digit."""
    encoded = []
    for image in Generator(tiny_dir, device="cpu", threads=1).generate(digits=DIGITS, seed=0).to_pil():
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        encoded.append(buffer.getvalue())
    return encoded


@pytest.fixture
def scans(pngs: list[bytes], tmp_path: Path) -> Path:
    """scans/ 0.png 1.png sub/2.png, and elsewhere/3.png outside it."""
    folder = tmp_path / "scans"
    (folder / "sub").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    for name, data in zip(["0.png", "1.png", "sub/2.png"], pngs, strict=False):
        (folder / name).write_bytes(data)
    (tmp_path / "elsewhere" / "3.png").write_bytes(pngs[3])
    return folder


def infer(tiny_dir: Path, argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["--model", str(tiny_dir), "--device", "cpu", "infer", "-q", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def rows(text: str, root: Path) -> list[tuple[str, Any, Any]]:
    """(path relative to root, digit, error) of each JSON line."""
    read = [json.loads(line) for line in text.splitlines()]
    return [(os.path.relpath(row["file"], root), row["digit"], row["error"]) for row in read]


@pytest.mark.timeout(HANG)
@pytest.mark.parametrize("loops", [1, 2])
@pytest.mark.parametrize("pattern", ["", "**/*.png"])
def test_symlink_loops_give_each_real_file_once(scans: Path, tiny_dir: Path, tally: Tally, loops: int, pattern: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Before: `-r 'scans/**/*.png'` with one loop gave 82 rows, with two it ran on with memory growing."""
    (scans / "up").symlink_to("..")  # scans/up/scans/up/...
    if loops == 2:
        (scans / "sub" / "back").symlink_to("..")  # scans/sub/back/sub/back/...
    (scans / "outside.png").symlink_to(scans.parent / "elsewhere" / "3.png")  # read once
    (scans / "same.png").symlink_to("0.png")  # the same file as 0.png: not read twice
    code, out, err = infer(tiny_dir, ["-r", str(scans / pattern), "--format", "jsonl"], capsys)
    assert (code, err) == (0, "")
    assert rows(out, scans) == [("0.png", DIGITS[0], None), ("1.png", DIGITS[1], None),
                                ("outside.png", DIGITS[3], None), ("sub/2.png", DIGITS[2], None)]
    tally.count("infer_files/symlink_loops", "exact_rows")


@pytest.mark.timeout(HANG)
def test_fifo_device_and_socket_named_like_images_are_refused_unopened(
        scans: Path, tiny_dir: Path, tally: Tally, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Before: a FIFO named on the command line hung forever (opened for reading, no writer); in a folder it was
    left out without a word."""
    os.mkfifo(scans / "fifo.png")
    (scans / "null.png").symlink_to(os.devnull)
    monkeypatch.chdir(scans)  # a short socket path (their limit is about 100 bytes)
    with socket.socket(socket.AF_UNIX) as server:
        server.bind("sock.png")
        code, out, err = infer(tiny_dir, [str(scans), "--skip-errors", "--format", "jsonl"], capsys)
    assert code == 3 and "3 file(s) could not be read" in err
    found = rows(out, scans)
    assert [(name, digit) for name, digit, _ in found] == [("0.png", DIGITS[0]), ("1.png", DIGITS[1]),
                                                           ("fifo.png", None), ("null.png", None), ("sock.png", None)]
    assert [error.split(": ", 1)[1] for _, _, error in found[2:]] == [
        f"not a regular file ({kind}): refused without opening it" for kind in
        ("a FIFO", "a character device", "a socket")]
    code, out, err = infer(tiny_dir, [str(scans / "fifo.png")], capsys)  # alone, without --skip-errors
    assert (code, out) == (1, "") and len(err.splitlines()) == 1 and "fifo.png" in err and "a FIFO" in err
    tally.count("infer_files/not_regular_files", "refused_unopened")


def failing(real: Callable[..., Any], path: Path, error: OSError) -> Callable[..., Any]:
    """`real` (os.open or os.scandir), raising `error` for `path` only: a fault that holds for root too."""
    def call(target: Any = ".", *args: Any, **kwargs: Any) -> Any:
        if os.fspath(target) == str(path):
            raise error
        return real(target, *args, **kwargs)
    return call


@pytest.mark.timeout(HANG)
def test_skip_errors_covers_every_bad_entry_and_keeps_every_good_row(
        scans: Path, tiny_dir: Path, tmp_path: Path, tally: Tally, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Before: a symlink loop named like an image aborted the whole run (even with --skip-errors, and -o got
    nothing), and a broken symlink was left out without a word."""
    (scans / "broken.png").symlink_to("missing.png")
    (scans / "loop.png").symlink_to("loop.png")  # ELOOP
    (scans / "denied.png").write_bytes((scans / "0.png").read_bytes())
    (scans / "locked").mkdir()
    (scans / "locked" / "9.png").write_bytes((scans / "0.png").read_bytes())
    monkeypatch.setattr(os, "open", failing(os.open, scans / "denied.png", PermissionError(13, "Permission denied")))
    monkeypatch.setattr(os, "scandir", failing(os.scandir, scans / "locked", PermissionError(13, "Permission denied")))
    output = tmp_path / "rows.jsonl"
    code, out, err = infer(tiny_dir, ["-r", str(scans), "--skip-errors", "--format", "jsonl", "-o", str(output)],
                           capsys)
    assert (code, out) == (3, "") and "4 file(s) could not be read" in err
    found = rows(output.read_text(), scans)
    assert [(name, digit) for name, digit, _ in found] == [
        ("0.png", DIGITS[0]), ("1.png", DIGITS[1]), ("broken.png", None), ("denied.png", None), ("loop.png", None),
        ("locked", None), ("sub/2.png", DIGITS[2])]
    errors = {name: error for name, _, error in found if error}
    assert errors["broken.png"].endswith("broken.png'): broken symbolic link")
    assert errors["denied.png"].endswith("denied.png'): cannot open it: Permission denied")
    assert errors["loop.png"].endswith("loop.png'): cannot open it: Too many levels of symbolic links")
    assert errors["locked"].endswith("locked': cannot list the folder: Permission denied")
    for bad in ("broken.png", "denied.png", "loop.png", "locked"):  # without --skip-errors: the first stops it
        code, out, err = infer(tiny_dir, ["-r", str(scans / bad), "-o", str(tmp_path / "none.jsonl")], capsys)
        assert (code, out) == (1, "") and len(err.splitlines()) == 1 and bad in err, err
        assert not (tmp_path / "none.jsonl").exists() and sorted(os.listdir(tmp_path)) == sorted(
            ["elsewhere", "rows.jsonl", "scans"])  # nothing half-written
    tally.count("infer_files/bad_entries_skip_errors", "all_good_rows_kept")


def test_real_permission_denied(scans: Path, tiny_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same without fault injection, where the permissions hold (not for root, which reads everything)."""
    (scans / "1.png").chmod(0)
    (scans / "sub").chmod(0)
    try:
        if os.access(scans / "1.png", os.R_OK):
            pytest.skip("this user reads files whatever their permissions (root)")
        code, out, _ = infer(tiny_dir, ["-r", str(scans), "--skip-errors", "--format", "jsonl"], capsys)
    finally:
        (scans / "sub").chmod(0o755)
        (scans / "1.png").chmod(0o644)
    assert code == 3 and [(name, digit) for name, digit, _ in rows(out, scans)] == [
        ("0.png", DIGITS[0]), ("1.png", None), ("sub", None)]


def test_a_file_that_vanishes_while_a_folder_is_read(scans: Path, tiny_dir: Path) -> None:
    """Files are found lazily: one deleted after its folder was listed is a row with its error, the rest go on."""
    batches: Iterator[Any] = Encoder(tiny_dir, device="cpu", threads=1).infer_files(
        [scans], recursive=True, chunk_size=1, skip_errors=True)
    first = next(batches)
    (scans / "1.png").unlink()
    rest = list(batches)
    assert [len(batch.files) for batch in [first, *rest]] == [1, 1, 1]
    assert rest[0].errors[0] is not None and rest[0].errors[0].endswith("1.png'): no such file")
    assert rest[1].result is not None and rest[1].result.digits.tolist() == [DIGITS[2]]


@pytest.fixture
def bad_name(scans: Path, pngs: list[bytes]) -> bytes:
    """scans/bad\\xff.png, a copy of DIGITS[1]'s image; skips where the file system refuses such names."""
    path = os.path.join(os.fsencode(scans), BAD_NAME)
    try:
        with open(path, "wb") as handle:
            handle.write(pngs[1])
    except OSError as error:
        pytest.skip(f"this file system refuses a name that is not UTF-8: {error}")
    (scans / "1.png").unlink()
    return path


@pytest.mark.parametrize("form", ["jsonl", "json", "csv", "table"])
def test_names_that_are_not_utf8_come_back_as_their_bytes_in_every_format(
        scans: Path, bad_name: bytes, tiny_dir: Path, tmp_path: Path, tally: Tally, form: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Before: csv and table (-o or stdout) ended in a UnicodeEncodeError traceback and lost every row. The
    documented mapping: JSON holds \\udcXX escapes, csv and table the bytes; os.fsencode gives the bytes back."""
    output = tmp_path / f"rows.{form}"
    code, _, err = infer(tiny_dir, [str(scans), "--format", form, "-o", str(output)], capsys)
    assert (code, err) == (0, "")
    data = output.read_bytes()
    if form in ("json", "jsonl"):
        text = data.decode("ascii")  # valid JSON, plain ASCII
        read = json.loads(text) if form == "json" else [json.loads(line) for line in text.splitlines()]
        names, digits = [os.fsencode(row["file"]) for row in read], [row["digit"] for row in read]
    elif form == "csv":
        table = list(csv.DictReader(io.StringIO(data.decode("utf-8", "surrogateescape"), newline="")))
        names, digits = [os.fsencode(row["file"]) for row in table], [int(row["digit"]) for row in table]
    else:
        lines = data.splitlines()[1:]
        names, digits = [line.split()[0] for line in lines], [int(line.split()[1]) for line in lines]
    assert names == [os.fsencode(scans / "0.png"), bad_name] and digits == DIGITS[:2]
    tally.count("infer_files/non_utf8_names", f"{form}_round_trip")


@pytest.mark.parametrize("form", ["table", "csv", "jsonl"])
def test_stdout_with_a_strict_utf8_encoding_writes_the_bytes(scans: Path, bad_name: bytes, tiny_dir: Path, form: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Under a locale whose stdout is strict UTF-8 (e.g. en_US.UTF-8), before: UnicodeEncodeError traceback."""
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict", newline="")
    monkeypatch.setattr(sys, "stdout", stdout)
    assert main(["--model", str(tiny_dir), "--device", "cpu", "infer", "-q", str(scans), "--format", form]) == 0
    stdout.flush()
    written = stdout.buffer.getvalue()
    assert (b"\\udcff" if form == "jsonl" else bad_name) in written and stdout.errors == "strict"  # restored


def test_paths_that_are_not_utf8_on_stdin(scans: Path, bad_name: bytes, tiny_dir: Path,
                                          monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: a UnicodeDecodeError traceback."""
    listed = os.fsencode(scans / "0.png") + b"\n" + bad_name + b"\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(listed)))
    code, out, _ = infer(tiny_dir, ["-", "--format", "jsonl"], capsys)
    read = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [os.fsencode(row["file"]) for row in read] == listed.split()
    assert [row["digit"] for row in read] == DIGITS[:2]
