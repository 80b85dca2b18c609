"""Issue 38's target: a user's folder of 32x32 RGB images, two categorical codes of sizes 3 and 5 and 3 continuous
codes trains (tiny), exports, and is generated and read back by the SDK, the CLI, the service and the JavaScript
package; its "is this one of mine" answer (domain_score, in_domain) is calibrated on held-out training images."""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from evaluate.domain import held_out
from export import domain_score
from export.__main__ import main as export_main
from export.general import _categorical, _data, _label_factor
from imagedata import DataSet, Split
from infogan_sdk import Encoder, Generator, InvalidInputError
from infogan_sdk.cli import main as cli_main
from infogan_sdk.spec import LatentSpec
from train.__main__ import main as train_main
from train.checkpoint import load_checkpoint

pytestmark = pytest.mark.slow
JS = Path(__file__).resolve().parents[2] / "js"
COLOURS = {"red": (220, 40, 30), "green": (40, 200, 60), "blue": (30, 60, 220)}  # the three classes
PER_CLASS = 240  # 720 images: 648 train (108 of them calibrate the domain score, enough to see 1%), 72 test


def draw_folder(root: Path) -> Path:
    """One subfolder per class: a disc of its colour on a seeded grey background, at seeded places and sizes, 40x40
    (the run resizes them to 32x32)."""
    rng = np.random.default_rng(0)
    for name, colour in COLOURS.items():
        (root / name).mkdir(parents=True)
        for index in range(PER_CLASS):
            grey = int(rng.integers(40, 120))
            image = Image.new("RGB", (40, 40), (grey, grey, grey))
            x, y, radius = (int(v) for v in (*rng.integers(12, 28, 2), rng.integers(6, 12)))
            ImageDraw.Draw(image).ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
            image.save(root / name / f"{index:02d}.png")
    return root


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("colour")
    folder = draw_folder(root / "discs")
    train = ["--data", f"folder:{folder}", "--image-size", "32", "--channels", "3", "--resize-policy", "resize",
             "--categorical", "3,5", "--continuous", "3", "--noise-size", "8", "--arch", "tiny", "--batch-size", "8",
             "--max-steps", "2", "--epochs", "1", "--device", "cpu", "--out", str(root / "run")]
    with pytest.MonkeyPatch.context() as patch:  # the folder's decoded cache under the test's folder, not ~/.cache
        patch.setenv("INFOGAN_DATA_CACHE", str(root / "cache"))
        assert train_main(train) == 0
        assert export_main([str(root / "run"), "--out", str(root / "model"), "--exporter", "legacy",
                            "--continuous-names", "size,x,y", "--quick-describe"]) == 0
    return root / "model"


def test_the_manifest_names_the_folder_classes_and_the_codes(model: Path) -> None:
    generator = Generator(model, device="cpu", threads=1)
    assert generator.spec.image_shape == (3, 32, 32) and generator.spec.categorical_sizes == (3, 5)
    (first, second) = generator.categorical_codes  # the first code's values named by the classes they draw
    assert first.name == "class" and sorted(first.labels) == ["blue", "green", "red"]
    assert (second.name, second.labels) == ("category1", ("0", "1", "2", "3", "4"))
    assert generator.info["mapping"]["method"] == "hungarian" and "evaluation" in generator.info
    assert generator.continuous_names == ("size", "x", "y") and generator.code_to_digit == ()
    assert generator.info["data"]["class_names"] == ["blue", "green", "red"]
    assert generator.info["data"]["counts"]["train"] + generator.info["data"]["counts"]["test"] == 3 * PER_CLASS


def test_the_sdk_generates_by_class_and_reads_its_images_back(model: Path) -> None:
    generator, encoder = Generator(model, device="cpu", threads=1), Encoder(model, device="cpu", threads=1)
    result = generator.generate(classes={"class": ["red", "blue"], "category1": 4}, continuous={"size": 0.5}, seed=0)
    assert result.images.shape == (2, 32, 32, 3) and result.images.dtype == np.uint8
    labels = generator.categorical_codes[0].labels
    assert result.codes.tolist() == [[labels.index("red"), 4], [labels.index("blue"), 4]]
    assert result.classes.tolist() == [["red", "4"], ["blue", "4"]]
    assert np.allclose(result.continuous[:, 0], 0.5) and result.digits.tolist() == [-1, -1]
    assert result.to_records()[0]["classes"] == {"class": "red", "category1": "4"}
    assert result.grid().mode == "RGB" and result.to_pil()[0].size == (32, 32)
    again = generator.generate(classes={"class": ["red", "blue"], "category1": 4}, continuous={"size": 0.5}, seed=0)
    assert np.array_equal(again.images, result.images)  # a seed reproduces the images
    with pytest.raises(InvalidInputError, match="digits= is for MNIST models"):
        generator.generate(digits=1)
    read = encoder.infer(result.images)  # (N, H, W, 3) arrays, as generated
    assert read.classes.shape == (2, 2) and set(read.classes[:, 0]) <= set(COLOURS)
    assert [p.shape for p in read.code_probabilities] == [(2, 3), (2, 5)]
    assert np.allclose([p.sum(axis=1) for p in read.code_probabilities], 1.0, atol=1e-5)
    assert read.continuous.shape == (2, 3) and read.images.shape == (2, 32, 32, 3)
    # files of another size are resized, as the manifest declares; the same pixels as the arrays read the same
    big = result.to_pil()[0].resize((64, 64), Image.Resampling.NEAREST)
    from_file = encoder.infer(big)
    assert from_file.images.shape == (1, 32, 32, 3)
    assert np.abs(from_file.images.astype(int) - result.images[:1].astype(int)).mean() < 8


def test_the_domain_score_rejects_one_percent_of_held_out_training_images_and_is_read(model: Path) -> None:
    """The encoder's domain_score output and the manifest's in_domain threshold: about 1% of the training images the
    fit never saw are rejected (as calibrated), the test split is accepted and noise is not."""
    encoder = Encoder(model, device="cpu", threads=1)
    entry = encoder.info["in_domain"]
    assert "domain_score" in encoder.info["io"]["encoder"]["outputs"] and entry["score"] == "domain_score"
    assert encoder.has_domain_score and encoder.domain_threshold == entry["threshold"]
    assert entry["classes"] == "the data set's labels" and entry["features"] == 16 + 16  # pooled body, Q's hidden
    with pytest.MonkeyPatch.context() as patch:  # the run's data set as export read it
        patch.setenv("INFOGAN_DATA_CACHE", str(model.parent / "cache"))
        data = _data(load_checkpoint(model.parent / "run"), None)
    fit_rows, calibration = domain_score.split(len(data.train))
    assert entry["calibration_images"] == len(calibration) >= 100 and entry["fit_images"] == len(fit_rows)
    read = encoder.infer(np.asarray(data.train.images[calibration]), preprocess="none")
    assert read.in_domain is not None and read.domain_score is not None and read.domain_score.dtype == np.float32
    assert 0.005 <= 1 - read.in_domain.mean() <= 0.02  # 1% of the held-out training images, to the granularity
    assert np.array_equal(read.in_domain, read.domain_score >= entry["threshold"])
    assert encoder.infer(data.test.images, preprocess="none").in_domain.mean() >= 0.9  # images it never saw
    noise = encoder.infer(held_out("discs", (3, 32, 32), 100)["uniform_noise"], preprocess="none")
    assert noise.in_domain is not None and noise.in_domain.mean() <= 0.1
    assert read.digit_score is None and read.is_digit is None and "in_domain" in read.to_records()[0]
    report = encoder.info["evaluation"]["in_domain"]  # evaluate's figures, measured at export
    assert report["threshold"] == entry["threshold"] and set(report["held_out"]) == {"uniform_noise",
                                                                                      "gaussian_noise"}


def test_the_cli_describes_generates_and_reads_the_model(model: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["info", "--model", str(model)]) == 0
    info = capsys.readouterr().out
    assert "32x32 RGB, preprocess resize" in info and "class      column 0, 3 values: " in info
    assert cli_main(["generate", "--model", str(model), "--class", "green", "--class", "category1=3",
                     "-o", str(tmp_path / "never.png")]) != 0
    assert "labels or CODE=LABEL pairs, not both" in capsys.readouterr().err and not (tmp_path / "never.png").exists()
    assert cli_main(["generate", "--model", str(model), "--class", "class=green,red", "--class", "category1=3",
                     "--seed", "0", "-o", str(tmp_path / "grid.png")]) == 0
    grid = Image.open(tmp_path / "grid.png")
    assert grid.mode == "RGB" and grid.size == (2 * 34 + 2, 34 + 2)
    assert cli_main(["generate", "--model", str(model), "--class", "red", "--count", "2", "--seed", "0",
                     "--separate", "-o", str(tmp_path / "one")]) == 0
    written = sorted(path.name for path in (tmp_path / "one").iterdir())
    assert written[0].startswith("0000_red_") and len(written) == 2
    capsys.readouterr()
    assert cli_main(["infer", "--model", str(model), str(tmp_path / "one"), "--format", "jsonl", "-q"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 2 and set(rows[0]["classes"]) == {"class", "category1"}
    assert isinstance(rows[0]["in_domain"], bool) and isinstance(rows[0]["domain_score"], float)
    assert rows[0]["classes"]["class"] in COLOURS and 0 < rows[0]["class_probabilities"]["class"] <= 1
    assert cli_main(["infer", "--model", str(model), str(tmp_path / "one"), "--format", "csv", "-q"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header == "file,class,p_class,category1,p_category1,size,x,y,domain_score,in_domain,error"
    assert cli_main(["dataset", "--model", str(model), "--count", "5", "--seed", "0",
                     "-o", str(tmp_path / "d.npz")]) == 0
    with np.load(tmp_path / "d.npz") as written:  # RGB images whole: the header's shape is the data's
        assert written["images"].shape == (5, 32, 32, 3) and written["codes"].shape == (5, 2)


def test_the_service_describes_generates_by_class_and_reads_the_model(model: Path) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from infogan_sdk.serve.app import create_app
    from infogan_sdk.serve.config import ServeConfig

    config = ServeConfig(models=(str(model),), device="cpu", threads=1)
    with TestClient(create_app(config), base_url="http://127.0.0.1") as client:
        (described,) = client.get("/v1/models").json()["models"]
        assert described["digits"] == [] and described["image"]["shape"] == [3, 32, 32]
        assert described["categorical"][0]["name"] == "class"
        assert sorted(described["categorical"][0]["labels"]) == ["blue", "green", "red"]
        assert described["image"]["png"] == "8-bit RGB" and described["data"]["class_names"] == ["blue", "green", "red"]
        answer = client.post("/v1/generate", json={"classes": {"class": ["red", "green"], "category1": 1}, "seed": 0})
        assert answer.status_code == 200
        images = answer.json()["images"]
        assert [image["classes"] for image in images] == [{"class": "red", "category1": "1"},
                                                          {"class": "green", "category1": "1"}]
        png = base64.b64decode(images[0]["png"])
        assert Image.open(io.BytesIO(png)).mode == "RGB"
        row = client.post("/v1/traverse", json={"classes": {"class": "blue"}, "code": "y", "values": [0, 1]})
        assert row.status_code == 200 and [image["classes"]["class"] for image in row.json()["images"]] == ["blue"] * 2
        bad = client.post("/v1/generate", json={"classes": "purple"})
        assert bad.status_code == 422 and "no label 'purple'" in bad.text
        read = client.post("/v1/infer", json={"images": [image["png"] for image in images]})
        assert read.status_code == 200
        results = read.json()["results"]
        assert all(result["classes"]["class"] in COLOURS for result in results)
        assert all(0 < result["class_probabilities"]["category1"] <= 1 for result in results)
        expected = Encoder(model, device="cpu", threads=1).infer([base64.b64decode(image["png"]) for image in images])
        assert [result["in_domain"] for result in results] == expected.in_domain.tolist()
        assert [result["domain_score"] for result in results] == pytest.approx(expected.domain_score.tolist(), abs=1e-4)
        assert "is_digit" not in results[0]


JS_CHECK = """
import { Encoder, Generator } from "./src/node.js";
const [folder, file] = process.argv.slice(2);
let text = "";
for await (const chunk of process.stdin) text += chunk;
const input = JSON.parse(text);
const generator = await Generator.load(folder, { threads: 1 }), encoder = await Encoder.load(folder, { threads: 1 });
const rendered = await generator.render({ count: input.count, codes: Int32Array.from(input.codes.flat()),
  continuous: Float32Array.from(input.continuous.flat()), noise: Float32Array.from(input.noise.flat()) });
const byClass = await generator.generate({ classes: { class: ["red", "green"], category1: 1 }, seed: 3 });
const rgba = Array.from({ length: rendered.count }, (_, i) => ({ width: 32, height: 32, data: rendered.rgba(i) }));
const read = await encoder.infer(rgba);
const fromFile = encoder.preprocess(await import("./src/files.js").then((m) => m.decodeInputs([file])));
let refused = "";
try { await generator.generate({ digits: 1 }); } catch (error) { refused = error.message; }
console.log(JSON.stringify({ pixels: Array.from(rendered.pixels), channels: rendered.channels,
  byClass: byClass.classes(), byClassCodes: Array.from(byClass.codes), classes: read.classes(),
  probabilities: read.codeProbabilities.map((p) => Array.from(p)), records: read.toRecords(),
  fromFile: Array.from(fromFile.pixels), refused }));
"""


def test_the_javascript_package_draws_and_reads_the_model_as_the_sdk(model: Path, tmp_path: Path) -> None:
    if shutil.which("node") is None or not (JS / "node_modules").is_dir():
        pytest.skip("node and js/node_modules (npm install in js/) are needed")
    generator, encoder = Generator(model, device="cpu", threads=1), Encoder(model, device="cpu", threads=1)
    made = generator.generate(count=3, seed=5)
    big = tmp_path / "big.png"
    Image.fromarray(made.images[0]).resize((40, 44), Image.Resampling.NEAREST).save(big)
    feeds = {"count": 3, "codes": made.codes.tolist(), "continuous": made.continuous.tolist(),
             "noise": made.noise.tolist()}
    script = JS / f".check-{tmp_path.name}.mjs"  # beside src/, so that its imports resolve
    script.write_text(JS_CHECK, encoding="utf-8")
    try:
        run = subprocess.run(["node", str(script), str(model), str(big)], input=json.dumps(feeds), text=True,
                             capture_output=True, timeout=120, cwd=JS)
    finally:
        script.unlink()
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    pixels = np.asarray(found["pixels"], dtype=np.int64).reshape(made.images.shape)
    assert found["channels"] == 3 and np.abs(pixels - made.images).max() <= 1  # onnxruntime's last bits may differ
    assert found["byClass"] == [["red", "1"], ["green", "1"]]
    read = encoder.infer(made.images)
    assert found["classes"] == read.classes.tolist()
    for mine, theirs in zip(found["probabilities"], read.code_probabilities, strict=True):
        assert np.abs(np.asarray(mine).reshape(theirs.shape) - theirs).max() < 1e-4
    assert set(found["records"][0]["classes"]) == {"class", "category1"}
    assert [record["inDomain"] for record in found["records"]] == read.in_domain.tolist()
    assert np.abs(np.asarray([r["domainScore"] for r in found["records"]]) - read.domain_score).max() < 1e-3
    assert np.array_equal(np.asarray(found["fromFile"], dtype=np.uint8).reshape(1, 32, 32, 3),
                          encoder.preprocess(big))  # the same bilinear passes in both languages
    assert "digits is for MNIST models" in found["refused"]


def test_the_first_code_takes_the_name_of_the_factor_its_labels_are():
    labels = np.asarray([0, 1, 2, 1])
    factors = {"size": np.asarray([1, 1, 0, 0]), "shape": labels.astype(np.uint8)}
    data = DataSet("d", "d", Split(np.zeros((4, 8, 8), np.uint8), labels, factors),
                   Split(np.zeros((4, 8, 8), np.uint8), labels, factors), ("a", "b", "c"))
    assert _label_factor(data) == "shape"
    spec = LatentSpec(noise_size=2, categorical_sizes=(3, 2), n_continuous=1, image_shape=(1, 8, 8))
    assert [code["name"] for code in _categorical(spec, data.class_names, "shape")] == ["shape", "category1"]
    assert [code["name"] for code in _categorical(spec, data.class_names, None)] == ["class", "category1"]
    unlabelled = DataSet("d", "d", Split(np.zeros((4, 8, 8), np.uint8), None, factors),
                         Split(np.zeros((4, 8, 8), np.uint8), None, factors))
    assert _label_factor(unlabelled) is None
