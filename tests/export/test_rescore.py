"""`python -m export.rescore`: a model folder again with its digit score fitted anew, every other output as before."""

import json

import numpy as np
import pytest

from export.rescore import main, rescore
from infogan_sdk import Encoder
from infogan_sdk.errors import OutputExistsError
from tests.export.test_export import SCORE_QUICK

pytestmark = pytest.mark.slow


def test_rescore_fits_the_density_keeps_the_other_outputs_and_recalibrates(exported, tmp_path):
    out = rescore(exported, tmp_path / "rescored", sizes=SCORE_QUICK)
    old, new = Encoder(exported, device="cpu"), Encoder(out, device="cpu")
    images = np.random.default_rng(0).integers(0, 256, (16, 28, 28), dtype=np.uint8)
    first, second = old.infer(images, preprocess="none"), new.infer(images, preprocess="none")
    np.testing.assert_array_equal(first.codes, second.codes)
    np.testing.assert_allclose(first.continuous, second.continuous, atol=1e-5)
    manifest = json.loads((out / "manifest.json").read_text())
    assert "Mahalanobis" in manifest["not_a_digit"]["method"]
    # the combined score is shifted to 0 where either signal rejects: the SDK's quantile lands near it
    assert abs(manifest["not_a_digit"]["threshold"]) < 0.5, manifest["not_a_digit"]
    assert manifest["export"]["digit_score_refit"]["other_outputs_max_abs_error"]["categorical_logits"] == 0.0
    assert manifest["files"]["generator"] == json.loads((exported / "manifest.json").read_text())["files"]["generator"]


def test_rescore_refuses_its_own_folder_and_an_existing_model_without_overwrite(exported, tmp_path, capsys):
    with pytest.raises(OutputExistsError):
        rescore(exported, exported, sizes=SCORE_QUICK)
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    assert main([str(exported), "--out", str(tmp_path / "taken"), "--quick"]) == 1
    assert "not a model folder" in capsys.readouterr().err
    assert (tmp_path / "taken" / "notes.txt").read_text() == "mine"
