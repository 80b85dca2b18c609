"""The seed table: each run's figures from its metrics.jsonl and description, then min / median / max."""

import json
from pathlib import Path

import pytest

from scripts import seed_study


def run(folder: Path, accuracies: list[float]) -> Path:
    folder.mkdir()
    lines = [{"step": 1, "epoch": 0}]  # a step record has no test score; end-of-epoch records do
    lines += [{"step": 2 + i, "epoch": i, "test": {"q_accuracy": a, "nmi": 0.9}} for i, a in enumerate(accuracies)]
    (folder / "metrics.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    return folder


def described(path: Path, control: float, named: dict[str, float]) -> str:
    codes = [{"name": name, "effects": {"slant": 0.1, "width": 0.2, "thickness": 0.3, "length": 0.0, measure: value}}
             for name, (measure, value) in ((n, ({"rotation": "slant"}.get(n, n), v)) for n, v in named.items())]
    evaluation = {"digit_control": control, "frechet_distance": 3.0, "frechet_distance_real_floor": 1.5,
                  "faint_fraction": 0.002}
    path.write_text(json.dumps({"evaluation": evaluation, "continuous_codes": codes}))
    return str(path)


def test_runs_and_their_min_median_max(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gans = [f"{run(tmp_path / 'gan-a', [0.5, 0.981])}={described(tmp_path / 'a.json', 0.99, {'rotation': 4.0})}",
            f"{run(tmp_path / 'gan-b', [0.97])}="
            f"{described(tmp_path / 'b.json', 0.98, {'rotation': 5.0, 'thickness': 3.0})}"]
    readers = [str(run(tmp_path / f"reader-{i}", [0.9, a])) for i, a in enumerate([0.986, 0.984, 0.99])]
    assert seed_study.main(["--gan", *gans, "--reader", *readers]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("| stage 1 run | stage 1 Q accuracy | digit control | Frechet / floor | faint samples | "
                        "rotation (sd) | thickness (sd) |")
    assert lines[2] == "| gan-a | 98.10% | 99.00% | 2.00x | 0.20% | +4.00 | - |"
    assert lines[5] == "| **median** | 97.55% | 98.50% | 2.00x | 0.20% | +4.50 | +3.00 |"
    assert lines[-3:] == ["| **min** | 98.40% |", "| **median** | 98.60% |", "| **max** | 99.00% |"]


def test_an_unfinished_run_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no end-of-epoch test score: is the run finished"):
        seed_study.last_test_accuracy(run(tmp_path / "new", []))
