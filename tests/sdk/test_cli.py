"""The `infogan` command line through main([...]) on the tiny model: outputs, exit codes, messages."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from infogan_sdk import Encoder, Generator
from infogan_sdk.cli import main
from infogan_sdk.cli.interrupts import interruptible, stop_signals_interrupt

from .tiny_models import code_row

ROOT = Path(__file__).resolve().parents[2]


def load(path: Path) -> Image.Image:
    with Image.open(path) as image:
        image.load()
        return image


def test_generate_writes_the_api_grid(model_dir: Path, generator: Generator, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "sevens.png"
    code = main(["--model", str(model_dir), "--device", "cpu", "generate", "--digit", "7", "--count", "4",
                 "--seed", "0", "-o", str(output)])
    assert code == 0 and capsys.readouterr().out.strip() == str(output)
    expected = generator.generate(digits=7, count=4, seed=0).grid()
    written = load(output)
    assert written.mode == "L" and written.size == expected.size
    np.testing.assert_array_equal(np.asarray(written), np.asarray(expected))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["sevens.png"]  # no temporary files left


def test_global_options_work_after_the_subcommand(model_dir: Path, generator: Generator, tmp_path: Path) -> None:
    output = tmp_path / "grid.png"
    code = main(["generate", "--model", str(model_dir), "--digit", "1,2,3", "--continuous=0.5,-0.5",
                 "--columns", "3", "--padding", "0", "--seed", "4", "-o", str(output)])
    assert code == 0
    expected = generator.generate(digits=[1, 2, 3], continuous=[0.5, -0.5], seed=4).grid(columns=3, padding=0)
    np.testing.assert_array_equal(np.asarray(load(output)), np.asarray(expected))


def test_generate_separate_into_a_folder_and_numbered_names(model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    assert main(["--model", str(model_dir), "generate", "--digit", "4", "--count", "3", "--rotation", "0.2",
                 "--width", "-0.1", "--seed", "0", "--separate", "-o", str(folder)]) == 0
    assert sorted(p.name for p in folder.iterdir()) == [f"000{i}_digit4.png" for i in range(3)]
    image = np.asarray(load(folder / "0000_digit4.png"))
    assert image.shape == (28, 28) and image[code_row(9 - 4), 4:24].min() > 240  # reversed mapping
    assert main(["--model", str(model_dir), "generate", "--digit", "1,2", "--seed", "0", "--separate",
                 "-o", str(tmp_path / "pair.png")]) == 0
    assert (tmp_path / "pair_0000_digit1.png").is_file() and (tmp_path / "pair_0001_digit2.png").is_file()


def test_traverse_writes_one_row(model_dir: Path, generator: Generator, tmp_path: Path) -> None:
    output = tmp_path / "width.png"
    assert main(["--model", str(model_dir), "traverse", "--digit", "3", "--code", "width", "--values=-1,0,1",
                 "--seed", "2", "-o", str(output)]) == 0
    expected = generator.traverse(digit=3, code="width", values=[-1.0, 0.0, 1.0], seed=2).grid(columns=3)
    np.testing.assert_array_equal(np.asarray(load(output)), np.asarray(expected))
    assert main(["--model", str(model_dir), "traverse", "--digit", "3", "--code", "0", "-o", str(output)]) == 1
    assert main(["--model", str(model_dir), "traverse", "--digit", "3", "--code", "0", "-o", str(output),
                 "--overwrite"]) == 0  # an existing file is replaced only when asked (as dataset does)
    assert load(output).size == (10 * 30 + 2, 32)  # default: 10 values in one row


def test_an_image_too_large_to_read_back_is_refused_before_it_is_made(model_dir: Path, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--model", str(model_dir), "generate", "--digit", "1", "--scale", "10000", "-o",
                 str(tmp_path / "s.png")]) == 1  # 280000 x 280000: it ran out of memory
    assert "smaller --scale" in capsys.readouterr().err and not (tmp_path / "s.png").exists()


@pytest.mark.parametrize(("argv", "message"), [
    (["generate", "--count", "100000"], "a grid of 100,000 images in 317 columns would be 9,512x9,482 pixels, over "
     "the limit of 16,777,216 pixels per image file (what infogan infer reads back): use fewer images, a smaller "
     "--scale or --separate (one file per image); for many images, a data set: infogan dataset --count 100000"),
    (["generate", "--digit", "1,2", "--count", str(10**30)], "count must be an integer from 1 to 1000000, got 1000"),
    (["generate", "--count", "50", "--columns", "1001"], "columns must be an integer from 1 to 1000, got 1001"),
    (["generate", "--count", "50", "--padding", "1001"], "padding must be an integer from 0 to 1000, got 1001"),
    (["generate", "--count", "4", "--scale", "200", "--separate"], "each of the 4 images at --scale 200 would be "
     "5,600x5,600 pixels, over the limit of 16,777,216 pixels per image file (what infogan infer reads back): use a "
     "smaller --scale"),
    (["generate", "--count", "4", "-o", "exists.png"], "exists.png exists: expected a new path"),
    (["traverse", "--values=" + ",".join(["0"] * 1001)], "columns must be an integer from 1 to 1000, got 1001"),
    (["traverse", "--scale", "200"], "a grid of 10 images in 10 columns at --scale 200 would be 60,400x6,400 pixels"),
    (["traverse", "--values=" + ",".join(["0"] * 1000), "--scale", "20"], "a grid of 1,000 images in 1,000 columns "
     "at --scale 20 would be 600,040x640 pixels"),
    (["edit", "IMAGES", "--scale", "100"], "a grid of 4 images in 2 columns at --scale 100 would be 6,200x6,200 "
     "pixels, over the limit of 16,777,216"),
    (["reconstruct", "IMAGES", "--scale", "100"], "a grid of 4 images in 2 columns at --scale 100 would be "
     "6,200x6,200 pixels"),
])
def test_an_output_that_cannot_be_written_is_refused_before_any_image_is_made(
        model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        argv: list[str], message: str) -> None:
    """Issue 37/40, nothing starts that cannot finish: `--count 100000 -o x.png` generated every image before
    refusing the grid's size, `--digit 1,2 --count 10**30` built a list of 10**30 digits (it hung), and an existing
    -o was refused only after the work."""
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("images were made before the output was checked")

    for name in ("latents", "traverse_latents", "render", "generate", "traverse", "edit", "reconstruct"):
        monkeypatch.setattr(Generator, name, forbidden)  # not even the latents are drawn first
    monkeypatch.setattr(Encoder, "infer", forbidden)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "exists.png").write_bytes(b"mine")
    for index in range(4):
        Image.new("L", (28, 28)).save(tmp_path / f"in{index}.png")
    argv = [word for item in argv for word in (sorted(str(p) for p in tmp_path.glob("in*.png")) if item == "IMAGES"
                                               else [item])]
    output = [] if "-o" in argv else ["-o", str(tmp_path / ("out" if "--separate" in argv else "out.png"))]
    started = time.monotonic()
    assert main(["--model", str(model_dir), *argv, *output]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err
    assert time.monotonic() - started < 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exists.png", "in0.png", "in1.png", "in2.png", "in3.png"]
    assert (tmp_path / "exists.png").read_bytes() == b"mine"


def test_infer_table_and_json(model_dir: Path, generator: Generator, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    paths = []
    for index, image in enumerate(generator.generate(digits=[2, 8], seed=0).to_pil()):
        paths.append(str(tmp_path / f"digit{index}.png"))
        image.save(paths[-1])
    assert main(["--model", str(model_dir), "infer", *paths]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["file", "digit", "probability", "rotation", "width"]  # realness: only --realness
    assert [line.split()[1] for line in lines[1:]] == ["2", "8"]
    assert main(["--model", str(model_dir), "infer", "--json", *paths]) == 0
    rows = json.loads(capsys.readouterr().out)
    expected = Encoder(model_dir).infer(paths)
    assert [row["digit"] for row in rows] == [2, 8] and rows[0]["file"] == paths[0]
    assert rows[1]["probability"] == pytest.approx(float(expected.probabilities[1, 8]))
    assert rows[0]["continuous"]["width"] == pytest.approx(float(expected.continuous[0, 1]))
    assert "realness" not in rows[0]
    assert main(["--model", str(model_dir), "infer", "--json", "--realness", *paths]) == 0
    assert json.loads(capsys.readouterr().out)[0]["realness"] == pytest.approx(float(expected.realness[0]))


def test_infer_unreadable_file_exits_1_naming_it(model_dir: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    assert main(["--model", str(model_dir), "infer", str(broken)]) == 1
    captured = capsys.readouterr()
    assert "infogan: error: input 0" in captured.err and "broken.png" in captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    assert main(["--model", str(model_dir), "infer", str(tmp_path / "absent.png")]) == 1
    assert "no such file" in capsys.readouterr().err


def test_infer_of_nothing_is_an_error_not_an_empty_success(model_dir: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not an image")
    assert main(["--model", str(model_dir), "infer", str(tmp_path / "empty"), "-o", str(tmp_path / "out.csv")]) == 1
    assert "no images found" in capsys.readouterr().err and not (tmp_path / "out.csv").exists()
    monkeypatch.setattr(sys, "stdin", open(__import__("os").devnull))
    assert main(["--model", str(model_dir), "infer", "-"]) == 1
    assert "no images found in '-'" in capsys.readouterr().err


def test_infer_refuses_an_existing_output_without_overwrite(model_dir: Path, generator: Generator, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    image = tmp_path / "seven.png"
    generator.generate(digits=7, seed=0).to_pil()[0].save(image)
    output = tmp_path / "rows.csv"
    output.write_text("hours of work\n")
    assert main(["--model", str(model_dir), "infer", str(image), "--format", "csv", "-o", str(output)]) == 1
    err = capsys.readouterr().err  # as generate and dataset do: never replace work silently (issue 37)
    assert len(err.splitlines()) == 1 and "already exists" in err and "--overwrite" in err
    assert output.read_text() == "hours of work\n"
    assert main(["--model", str(model_dir), "infer", str(image), "--format", "csv", "-o", str(output),
                 "--overwrite"]) == 0
    assert output.read_text().splitlines()[1].split(",")[:2] == [str(image), "7"]


@pytest.mark.parametrize("name", ["foo.npy", "z.txt"])
def test_dataset_refuses_a_suffix_it_does_not_write(model_dir: Path, tmp_path: Path, name: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--model", str(model_dir), "dataset", "--per-digit", "1", "-o", str(tmp_path / name)]) == 1
    assert "NAME.npz, NAME.parquet or a folder" in capsys.readouterr().err and not (tmp_path / name).exists()


def test_info_text_and_json(model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--model", str(model_dir), "info"]) == 0
    text = capsys.readouterr().out
    assert "CPUExecutionProvider" in text and "onnxruntime" in text and str(model_dir) in text
    assert "{" not in text  # a report, not JSON blobs
    assert main(["info", "--json", "--model", str(model_dir)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model"]["generator"]["providers"] == ["CPUExecutionProvider"]
    assert report["model"]["manifest"]["code_to_digit"] == list(range(9, -1, -1))
    assert "CPUExecutionProvider" in report["environment"]["available_providers"]


def test_info_reports_a_broken_model_with_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--model", str(tmp_path), "info"]) == 1
    captured = capsys.readouterr()
    assert "NOT LOADED" in captured.out and "has no manifest.json" in captured.out
    assert "onnxruntime" in captured.out  # the environment part still printed


def test_bench_reports_latency_and_throughput(model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--model", str(model_dir), "--device", "cpu", "bench", "--batch", "8", "--repeats", "3", "--threads", "1"]
    assert main([*argv, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["device"] == "cpu" and report["providers"] == ["CPUExecutionProvider"]
    assert report["batch"] == 8 and report["threads"] == 1 and report["model"] == str(model_dir)
    for name in ("generate", "infer"):  # speed is reported, never asserted: only that real timings came back
        assert 0 < report[name]["batch1_p50_ms"] < 60_000 and report[name]["images_per_second"] > 0
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and "CPUExecutionProvider" in lines[0] and "threads 1" in lines[0]
    assert [line.split()[0] for line in lines[1:]] == ["generate", "infer"]
    assert all("ms (median)" in line and "batch 8:" in line and line.endswith("images/s") for line in lines[1:])


@pytest.mark.parametrize("argv", [
    [],
    ["generate"],  # -o is required
    ["generate", "--count", "abc", "-o", "x.png"],
    ["generate", "--digit", "7.5", "-o", "x.png"],
    ["generate", "--bogus", "-o", "x.png"],
    ["infer"],
    ["infer", "--preprocess", "sideways", "a.png"],
    ["frobnicate"],
    ["bench", "--repeats", "0"],
    ["bench", "--batch", "-4"],
])
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "usage: infogan" in capsys.readouterr().err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "generate" in capsys.readouterr().out


def test_api_errors_exit_1_without_traceback(model_dir: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    cases = [
        (["generate", "--digit", "12", "-o", str(tmp_path / "a.png")], "digits must be from 0 to 9, got [12]"),
        (["generate", "--count", "-3", "-o", str(tmp_path / "a.png")], "count must be an integer from 1 to 1000000"),
        (["traverse", "--code", "slant", "-o", str(tmp_path / "a.png")], "one of ['rotation', 'width']"),
        (["generate", "-o", str(tmp_path / "missing" / "a.png")], f"no such folder {tmp_path / 'missing'}"),
        (["--device", "tpu", "generate", "-o", str(tmp_path / "a.png")], "device must be 'auto', 'cpu'"),
    ]
    for argv, message in cases:
        assert main(["--model", str(model_dir), *argv]) == 1
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    assert main(["--model", str(tmp_path / "none"), "generate", "-o", str(tmp_path / "a.png")]) == 1
    assert "neither a bundled model nor an existing path" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.png")) and not list(tmp_path.glob(".*tmp"))


@pytest.mark.parametrize(("name", "form"), [("a.png", "PNG"), ("a.jpg", "JPEG"), ("a.JPEG", "JPEG"),
                                            ("a.webp", "WEBP"), ("a.bmp", "BMP"), ("a.tif", "TIFF")])
def test_generate_writes_the_format_its_extension_names(model_dir: Path, tmp_path: Path, name: str,
                                                        form: str) -> None:
    output = tmp_path / name
    assert main(["--model", str(model_dir), "generate", "--digit", "3", "--seed", "0", "-o", str(output)]) == 0
    with Image.open(output) as image:
        assert image.format == form and image.size == (28, 28)  # one image: as it is, no grid padding


@pytest.mark.parametrize("name", ["digits", "digits.foo"])
def test_generate_refuses_an_output_whose_format_it_cannot_tell(model_dir: Path, tmp_path: Path, name: str,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--model", str(model_dir), "generate", "--seed", "0", "-o", str(tmp_path / name)]) == 1
    err = capsys.readouterr().err
    assert "cannot tell the image format" in err and ".png, .jpg" in err and list(tmp_path.iterdir()) == []


def test_scale_makes_images_larger_pixel_for_pixel(model_dir: Path, generator: Generator, tmp_path: Path) -> None:
    output = tmp_path / "big.png"
    assert main(["--model", str(model_dir), "generate", "--digit", "5", "--seed", "1", "--scale", "3",
                 "-o", str(output)]) == 0
    big = np.asarray(load(output))
    assert big.shape == (84, 84)
    np.testing.assert_array_equal(big[::3, ::3], generator.generate(digits=5, seed=1).images[0])
    assert main(["--model", str(model_dir), "generate", "--digit", "5", "--seed", "1", "--scale", "0",
                 "-o", str(output)]) == 2


def test_a_missing_folder_is_named_not_a_temporary_file(model_dir: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "missing" / "dir" / "x.png"
    assert main(["--model", str(model_dir), "generate", "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert f"cannot write {target}: no such folder {target.parent}" in err and ".tmp" not in err


def test_info_reports_codes_devices_variants_and_what_to_do(model_dir: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    versions = {"onnxruntime": "1.20.0", "onnxruntime-gpu": "1.20.0"}
    monkeypatch.setattr("importlib.metadata.version", lambda name: versions[name])
    assert main(["--model", str(model_dir), "--device", "cpu", "info"]) == 0
    text = capsys.readouterr().out
    assert re.search(r"codes +rotation +column 0, feeds \+continuous\[0\], range \[-1.0, 1.0\]", text)
    assert "variants    fp16; in use: float32" in text  # the tiny model has an fp16 file
    assert "generator on cpu (CPUExecutionProvider)" in text and "encoder on cpu" in text
    assert "no CUDA: for a GPU, pip uninstall onnxruntime, then pip install onnxruntime-gpu" in text
    assert "WARNING     both onnxruntime 1.20.0 and onnxruntime-gpu 1.20.0 are installed" in text


def test_info_names_network_inputs_apart_from_code_names(capsys: pytest.CaptureFixture[str]) -> None:
    """The default model has two turned codes and a plain one: their mixes read as network inputs, never "c0"."""
    assert main(["--device", "cpu", "info"]) == 0
    codes = [line for line in capsys.readouterr().out.splitlines() if " column " in line]
    assert len(codes) == 3 and re.search(r"width +column 0, feeds \+continuous\[0\],", codes[0])
    assert re.search(r"rotation +column 1, feeds \+0.77 continuous\[1\] \+0.64 continuous\[2\],", codes[1])
    assert re.search(r"thickness +column 2, feeds \+0.64 continuous\[1\] -0.77 continuous\[2\],", codes[2])
    assert not any(re.search(r"\d c\d", line) for line in codes)


def test_models_lists_the_bundled_models(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines] == \
        ["mnist (default)", "mnist-supervised", "mnist-unsupervised", "mnist-v1"]
    assert all("codes: " in line for line in lines)


@pytest.mark.parametrize("command", [["info", "--json"], ["models"], ["info"]])
def test_a_closed_pipe_ends_quietly(model_dir: Path, command: list[str]) -> None:
    """`infogan info --json | head -c 1`: no BrokenPipeError traceback, whatever the command."""
    shell = f"{sys.executable} -m infogan_sdk --model {model_dir} {' '.join(command)} | head -c 1"
    result = subprocess.run(shell, shell=True, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.stderr == "" and len(result.stdout) == 1


def test_stop_signals_end_a_command_with_one_line_and_128_plus_the_signal(capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 37: SIGTERM and SIGHUP killed a command where it stood (no clean-up); Ctrl-C printed a traceback. Now
    all three raise KeyboardInterrupt inside `main`, which ends with one line; the handlers come back after."""
    before = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGHUP)}

    @interruptible("prog")
    def command(number: int) -> int:
        os.kill(os.getpid(), number)
        time.sleep(5)  # the handler raises long before this ends
        return 0

    for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        started = time.monotonic()
        assert command(number) == 128 + number and time.monotonic() - started < 2
        assert capsys.readouterr().err == f"prog: interrupted by {signal.Signals(number).name}\n"
    assert {number: signal.getsignal(number) for number in before} == before


def test_an_ignored_hangup_stays_ignored_and_forked_children_end_of_the_signal() -> None:
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    try:
        with stop_signals_interrupt():
            os.kill(os.getpid(), signal.SIGHUP)
            time.sleep(0.05)  # still here: not interrupted
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            child = os.fork()
            if child == 0:  # a process pool's worker: no KeyboardInterrupt traceback, the signal ends it
                try:
                    os.kill(os.getpid(), signal.SIGTERM)
                    time.sleep(5)
                finally:
                    os._exit(0)
            _, status = os.waitpid(child, 0)
    finally:
        signal.signal(signal.SIGHUP, previous)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM
