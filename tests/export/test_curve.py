"""`python -m export.curve`: a row per kept checkpoint, measured once, and clear refusals."""

from __future__ import annotations

import json

import pytest

import export.curve
from train.__main__ import main as train_main

pytestmark = pytest.mark.slow  # two tiny exports (about 40 s on a busy 2-core machine)


def test_each_kept_checkpoint_is_a_row_measured_once(tmp_path, monkeypatch, capsys):
    run, curve = tmp_path / "run", tmp_path / "curve.json"
    assert train_main(["--data", "shapes", "--arch", "tiny", "--max-steps", "4", "--keep-every", "2", "--device",
                       "cpu", "--threads", "1", "--out", str(run)]) == 0
    assert export.curve.main([str(run), "--json", str(curve), "--quick"]) == 0
    rows = json.loads(curve.read_text())["rows"]
    assert [row["step"] for row in rows] == [2, 4]
    for row in rows:
        assert all(0.0 <= row[name] <= 1.0 for name in export.curve.METRICS), row
        assert len(row["assignment"]) == len(row["codes"]) > 1  # a factor (or -1) per code
    assert "| 4 |" in capsys.readouterr().out
    measured, stored = [], {key: value for key, value in rows[0].items() if key != "step"}
    monkeypatch.setattr(export.curve, "measure", lambda path, sizes, seed: measured.append(path) or stored)
    (run / "checkpoint-step000002.pt").rename(run / "checkpoint-step000006.pt")  # a new step appears
    assert export.curve.main([str(run), "--json", str(curve), "--quick"]) == 0
    assert [path.name for path in measured] == ["checkpoint-step000006.pt"]
    assert [row["step"] for row in json.loads(curve.read_text())["rows"]] == [2, 4, 6]
    assert export.curve.main([str(run), "--json", str(curve)]) == 1  # default sizes: not the file's
    assert "measured with other sizes" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert export.curve.main([str(tmp_path / "empty"), "--json", str(tmp_path / "other.json"), "--quick"]) == 1
    assert "holds no checkpoint" in capsys.readouterr().err and not (tmp_path / "other.json").exists()
