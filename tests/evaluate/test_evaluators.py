"""The shipped evaluators: each reads its data set's test split at the accuracy its sidecar records, and MNIST's
network is the one train_classifier builds at 28x28 grey (so retraining it gives the same network)."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from evaluate.classifier import ASSET, Evaluator, evaluator_path
from imagedata import open_source
from imagedata.sources import FASHION_DIR


def test_mnists_evaluator_is_the_classifier_train_classifier_builds():
    torch = pytest.importorskip("torch")
    from evaluate.train_classifier import Classifier

    shipped = {tensor.name: numpy_helper.to_array(tensor).shape for tensor in onnx.load(ASSET).graph.initializer}
    built = {name: tuple(value.shape) for name, value in Classifier().state_dict().items()}
    assert shipped == built and evaluator_path("mnist") == ASSET
    colour = Classifier(3, 64, 64, classes=20)  # larger images are pooled to 4x4 before the feature layer
    logits, features = colour(torch.zeros(2, 3, 64, 64))
    assert logits.shape == (2, 20) and features.shape == (2, 128)


@pytest.mark.slow  # reads Fashion-MNIST's 10,000 test images
@pytest.mark.skipif(not FASHION_DIR.is_dir(), reason="apt-get install dataset-fashion-mnist")
def test_the_fashion_evaluator_reads_fashion_mnist_test_as_its_sidecar_says():
    evaluator = Evaluator(evaluator_path("fashion"))
    data = open_source("fashion")
    logits, features = evaluator(np.asarray(data.test.images))
    assert evaluator.data["class_names"] == list(data.class_names) and features.shape == (10_000, 128)
    accuracy = float(np.mean(logits.argmax(1) == data.test.labels))
    assert accuracy == pytest.approx(evaluator.test_accuracy, abs=1e-4) and accuracy >= 0.9
    assert evaluator_path("fashion").stat().st_size < 2_000_000
    with pytest.raises(ValueError, match=r"reads uint8 \(N, 28, 28\) images, got uint8 \(2, 32, 32\)"):
        evaluator(np.zeros((2, 32, 32), dtype=np.uint8))
