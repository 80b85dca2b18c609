"""The disentanglement metrics on planted representations of a factor grid, against what theory says of each:
the factors themselves, turned (a rotation of the standardised factors), evenly mixed (a Hadamard rotation) and
pure noise. Codes are looked up per grid row, so every metric sees the representation exactly."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from numpy.typing import NDArray

from evaluate.card import general_card
from evaluate.describe import Sizes as DescribeSizes
from evaluate.describe import describe_model
from evaluate.disentanglement import (
    Sizes,
    classes,
    correlations,
    dci,
    discretize,
    factor_names,
    factor_vae,
    fixed_factor_batches,
    information_shares,
    measure,
    mig,
    mutual_information,
    of_data_set,
    sap,
)
from evaluate.general import _named_after_factors
from imagedata import DataSet, Options, Split, open_source
from imagedata.shapes import FACTORS, shapes
from infogan_sdk import Encoder, Generator
from tests.sdk.tiny_models import MAIN_SPEC, build_model

GRID = (3, 4, 5, 6)  # K = 4 factors, 360 images
HADAMARD = np.asarray([[1, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]]) / 2  # orthogonal, |entries| 1/2


def grid(sizes: tuple[int, ...] = GRID) -> NDArray[np.int64]:
    """Every combination of the factors' classes, (prod(sizes), K)."""
    return np.stack(np.unravel_index(np.arange(int(np.prod(sizes))), sizes), axis=1).astype(np.int64)


def standardised(factors: NDArray[np.int64]) -> NDArray[np.float64]:
    return (factors - factors.mean(axis=0)) / factors.std(axis=0)  # independent, unit variance on the full grid


def rotation(seed: int, size: int = len(GRID)) -> NDArray[np.float64]:
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(size, size)))
    return q * np.sign(np.diag(r))  # (K, D): row k is where factor k goes


def planted(table: NDArray[np.float64], count: int = 2000,
            seed: int = 9) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    rows = np.random.default_rng(seed).integers(len(table), size=count)
    return table[rows], grid()[rows]


def vae(table: NDArray[np.float64], seed: int = 0) -> float:
    codes, _ = planted(table)
    return factor_vae(codes, fixed_factor_batches(grid(), lambda rows: table[rows]), len(GRID), Sizes.quick(),
                      seed).score


def test_mutual_information_is_the_plug_in_estimate() -> None:
    a = np.asarray([0, 0, 1, 1, 2, 2, 2, 2])
    b = np.asarray([0, 0, 1, 1, 1, 1, 0, 0])
    joint = np.asarray([[2, 0], [0, 2], [2, 2]]) / 8
    outer = joint.sum(axis=1, keepdims=True) * joint.sum(axis=0, keepdims=True)
    expected = np.sum(joint[joint > 0] * np.log(joint[joint > 0] / outer[joint > 0]))
    assert mutual_information(a[:, None], b[:, None])[0, 0] == pytest.approx(expected, abs=1e-12)
    assert mutual_information(b[:, None], b[:, None])[0, 0] == pytest.approx(np.log(2), abs=1e-12)  # H(b)


def test_discretize_uses_equal_width_bins_numbered_from_one() -> None:
    binned = discretize(np.arange(40.0)[:, None])  # bins 1.95 wide from 0 to 39: two values in each
    assert binned[:, 0].tolist() == [value // 2 + 1 for value in range(40)]  # 39, the top edge, in the last bin


def test_mig_of_the_true_factors_is_near_one_and_of_noise_near_zero() -> None:
    codes, factors = planted(grid().astype(np.float64))
    assert mig(codes, factors) > 0.97  # each factor is one code; the others hold only the estimate's bias
    noise = np.random.default_rng(1).normal(size=(len(grid()), len(GRID)))
    assert mig(*planted(noise)) < 0.03


def test_mig_falls_when_the_factors_are_rotated() -> None:
    """MIG is not rotation-invariant by design: a rotation spreads each factor's information over several codes,
    so the gap between its best two shrinks; an even mix (every code +-1/2 of every factor, all alike in
    distribution) leaves no gap at all."""
    truth = mig(*planted(grid().astype(np.float64)))
    turned = mig(*planted(standardised(grid()) @ rotation(0)))
    mixed = mig(*planted(standardised(grid()) @ HADAMARD))
    assert turned < truth - 0.3 and 0.1 < turned < 0.7
    assert mixed < 0.05


def test_factor_vae_of_the_true_factors_is_one_and_of_noise_chance() -> None:
    assert vae(grid().astype(np.float64)) == 1.0  # the fixed factor's own code has no variance left
    noise = np.random.default_rng(1).normal(size=(len(grid()), len(GRID)))
    assert vae(noise) == pytest.approx(1 / len(GRID), abs=0.08)  # 500 eval votes: sd 0.02


def test_factor_vae_of_a_rotation_follows_each_factors_best_aligned_code() -> None:
    """With factors standardised, fixing factor k leaves code j the variance 1 - Q[k, j]^2: the vote goes to the
    code most aligned with k. The majority vote is then right for every factor whose best code is its own, so the
    score is the fraction of such factors: 3/4 for this rotation (two factors share their best code). In the even
    mix every code ties, so votes fall at random and the score is chance."""
    q = rotation(134)
    best = np.argmax(q ** 2, axis=1)
    expected = len(set(best.tolist())) / len(GRID)
    assert expected == 0.75
    assert vae(standardised(grid()) @ q) == pytest.approx(expected, abs=0.08)
    assert vae(standardised(grid()) @ HADAMARD) == pytest.approx(1 / len(GRID), abs=0.08)


def test_factor_vae_prunes_dead_codes_and_files_votes_under_their_own_index() -> None:
    table = np.concatenate([np.full((len(grid()), 1), 3.0), grid().astype(np.float64)], axis=1)  # code 0 is dead
    codes, _ = planted(table)
    score = factor_vae(codes, fixed_factor_batches(grid(), lambda rows: table[rows]), len(GRID), Sizes.quick())
    assert score.score == 1.0 and score.active == (1, 2, 3, 4)
    assert score.assignment == (-1, 0, 1, 2, 3)  # disentanglement_lib's filing would read (0, 1, 2, 3, -1)


def test_dci_and_sap_rank_the_true_factors_above_noise() -> None:
    sizes = (2, 3, 3)
    rows = np.random.default_rng(0).integers(18, size=600)
    factors = grid(sizes)[rows]
    noise = np.random.default_rng(1).normal(size=(600, 3))
    true = dci(factors[:400], factors[:400], factors[400:], factors[400:])
    assert true.disentanglement > 0.95 and true.completeness > 0.95 and true.informativeness_test == 1.0
    assert dci(noise[:400], factors[:400], noise[400:], factors[400:]).disentanglement < 0.15
    # SAP: a factor of 2 values is split by its own code's SVM (accuracy 1) and not by another (0.5): a gap of 1/2;
    # one of 3 values less, as a one-dimensional linear SVM may not pick out the middle class (2/3 - 1/3)
    assert sap(factors[:400], factors[:400], factors[400:], factors[400:]) > 0.3
    assert sap(noise[:400], factors[:400], noise[400:], factors[400:]) < 0.1


def test_measure_is_seeded() -> None:
    table = standardised(grid((2, 3, 3))) @ rotation(0, 3)
    sizes = Sizes(mig=500, factor_vae_variance=500, factor_vae_train=100, factor_vae_eval=100, train=200, test=100)
    first = measure(lambda rows: table[rows], grid((2, 3, 3)), sizes, seed=3)
    assert first == measure(lambda rows: table[rows], grid((2, 3, 3)), sizes, seed=3)
    assert set(first.as_dict()) == {"mig", "factor_vae", "dci", "sap", "information", "correlation"}
    shares = np.asarray(first.information)
    top_two = np.sort(shares, axis=0)[-2:]
    assert shares.shape == (3, 3) and first.mig == pytest.approx(np.mean(top_two[1] - top_two[0]), abs=1e-3)


def test_codes_are_named_after_the_factor_they_alone_hold() -> None:
    truth = grid().astype(np.float64)
    codes = np.concatenate([-truth[:, [2]], truth[:, [0]], np.random.default_rng(0).normal(size=(len(truth), 1)),
                            truth[:, [1]] + truth[:, [3]] * 0.01], axis=1)  # D = 4: x2 flipped, x0, noise, x1
    table, rows = codes, grid()
    shares, signs = information_shares(table, rows), correlations(table, rows)
    names = ["a", "b", "c", "d"]
    assert factor_names(shares, names, 4) == ["c", "a", None, "b"]  # d is nobody's: the noise holds none of it
    assert np.sign(signs[0, 2]) == -1 and np.sign(signs[1, 0]) == 1
    assert factor_names(shares, names, 4, least=1.01) == [None] * 4  # a share nobody holds
    twice = np.concatenate([truth[:, [0]], truth[:, [0]] + 0.001 * truth[:, [1]]], axis=1)  # both hold factor a
    assert factor_names(information_shares(twice, rows), names, 2).count("a") <= 1  # one name per factor


def test_bad_inputs_say_what_was_expected() -> None:
    with pytest.raises(ValueError, match="at least two values per factor"):
        classes(np.zeros((10, 2)))
    with pytest.raises(ValueError, match=r"codes must be finite floats \(N, D\) with N = 2000"):
        mig(np.zeros((5, 2)), planted(grid().astype(np.float64))[1])
    with pytest.raises(ValueError, match="D >= 2"):
        mig(*planted(grid()[:, :1].astype(np.float64)))


@pytest.mark.slow  # disentanglement_lib's sizes: the trees take a minute
def test_default_sizes_on_planted_representations() -> None:
    sizes = (3, 4, 5, 4, 4)  # fewer classes per factor than dSprites: the trees cost per class, the sizes are the same
    factors = grid(sizes)
    noise = np.random.default_rng(1).normal(size=factors.shape)
    tables = {"true": factors.astype(np.float64), "turned": standardised(factors) @ rotation(0, len(sizes)),
              "noise": noise}
    scores = {name: measure(lambda rows, table=table: table[rows], factors) for name, table in tables.items()}
    assert scores["true"].mig > 0.98 and scores["true"].factor_vae.score == 1.0
    assert scores["true"].dci.disentanglement > 0.95
    assert scores["turned"].mig < scores["true"].mig - 0.3
    assert scores["turned"].dci.disentanglement < scores["true"].dci.disentanglement - 0.2
    assert scores["noise"].mig < 0.01 and scores["noise"].factor_vae.score == pytest.approx(1 / 5, abs=0.03)
    assert scores["noise"].dci.disentanglement < 0.05 and scores["noise"].sap < 0.02
    assert scores["true"].sap > scores["turned"].sap > scores["noise"].sap


class CentroidReader:
    """An encoder's stand-in that reads where the shape is: continuous codes (x, y) of its centroid, no categorical
    code. Counts the images it reads."""

    continuous_names = ("cx", "cy")
    categorical_codes = ()

    def __init__(self) -> None:
        self.read = 0

    def infer(self, images: NDArray[np.uint8], preprocess: str) -> SimpleNamespace:
        assert preprocess == "none" and images.shape[1:] == (32, 32, 3)
        self.read += len(images)
        ink = (images.astype(np.int64) - images[:, :1, :1].astype(np.int64)).any(axis=3)  # not the corner's colour
        ys, xs = np.indices(ink.shape[1:])
        area = np.maximum(ink.sum(axis=(1, 2)), 1)
        return SimpleNamespace(continuous=np.stack([(ink * xs).sum(axis=(1, 2)) / area,
                                                    (ink * ys).sum(axis=(1, 2)) / area], axis=1),
                               code_probabilities=[])


@pytest.mark.slow  # shapes' six factors make 34 classes of trees
def test_a_data_sets_factors_are_measured_through_the_encoder_each_image_read_once() -> None:
    data = shapes(400, seed=0)
    reader = CentroidReader()
    sizes = Sizes(mig=400, factor_vae_variance=400, factor_vae_train=200, factor_vae_eval=200, train=80, test=40)
    found = of_data_set(reader, data, sizes)  # type: ignore[arg-type]
    assert found is not None and found["factors"] == sorted(FACTORS) and found["codes"] == ["cx", "cy"]
    assert reader.read <= len(data.train)  # each image once, whatever the metrics draw
    x, y = found["factors"].index("x"), found["factors"].index("y")
    assert found["factor_vae"]["assignment"] == (x, y) and found["factor_vae"]["score"] > 0.25  # 2 of 6 factors
    assert of_data_set(reader, open_source("fake", Options(fake_size=20)), sizes) is None  # type: ignore[arg-type]


def drawn_factors(root: Path) -> tuple[Path, DataSet]:
    """A tiny planted model (tests/sdk/tiny_models.py) and a data set of its drawings with known codes: its category
    and two continuous values on a grid of 5, as factors category, first and second."""
    folder = build_model(root / "tiny", MAIN_SPEC, list(range(10)), ["first", "second"])
    factors = grid((10, 5, 5))
    values = np.linspace(-0.8, 0.8, 5)[factors[:, 1:]]
    drawn = Generator(folder, device="cpu").generate(categorical=factors[:, 0], continuous=values,
                                                     noise=np.zeros((len(factors), MAIN_SPEC.noise_size)))
    known = {"category": factors[:, 0], "first": factors[:, 1], "second": factors[:, 2]}
    return folder, DataSet("tiny", "tiny", Split(drawn.images, None, known),
                           Split(drawn.images[:10], None, {name: column[:10] for name, column in known.items()}))


def test_an_sdk_encoder_reads_the_factors_its_generator_drew(tmp_path: Path) -> None:
    """The tiny model's encoder reads back the codes its generator drew, so each factor has its own code(s)."""
    folder, data = drawn_factors(tmp_path)
    sizes = Sizes(mig=500, factor_vae_variance=500, factor_vae_train=200, factor_vae_eval=200, train=100, test=50)
    found = of_data_set(Encoder(folder, device="cpu"), data, sizes)
    assert found is not None and found["codes"][:2] == ["first", "second"] and len(found["codes"]) == 12
    assert found["factors"] == ["category", "first", "second"]
    assert found["mig"] > 0.5 and found["factor_vae"]["score"] > 0.9
    assert found["factor_vae"]["assignment"][:2] == (1, 2)  # the continuous codes capture "first" and "second"
    plain = DataSet("plain", "plain", Split(data.train.images), Split(data.test.images))
    assert of_data_set(Encoder(folder, device="cpu"), plain, sizes) is None  # no factors, no table


@pytest.mark.slow  # describes the model whole
def test_python_m_evaluates_description_and_card_carry_the_metrics(tmp_path: Path) -> None:
    folder, data = drawn_factors(tmp_path)
    described = describe_model(folder, data, DescribeSizes.quick())
    found = described["evaluation"]["disentanglement"]
    assert found["sizes"]["mig"] == DescribeSizes.quick().factor_points and found["factor_vae"]["score"] > 0.9
    row = f"| FactorVAE score (12 of 12 codes active) | {found['factor_vae']['score']:.3f} |"
    card = general_card(described)
    assert row + "\n" in card and "InfoGAN-CR" not in card  # the published anchors are dSprites' only
    described["evaluation"]["data"]["name"] = "dsprites"
    assert row + " 0.59 | 0.88 |" in general_card(described)  # InfoGAN's and InfoGAN-CR's, Lin et al. Table 1
    assert f"| SAP | {found['sap']:.3f} | - | 0.58 |" in general_card(described)


@pytest.mark.slow  # describes the model whole
def test_described_codes_are_named_after_the_factors_they_hold_and_rise_with_them(tmp_path: Path) -> None:
    folder, data = drawn_factors(tmp_path)
    known = data.train.factors
    renamed = {"category": known["category"], "across": 4 - known["first"], "down": known["second"]}
    data = DataSet("tiny", "tiny", Split(data.train.images, None, renamed),
                   Split(data.test.images, None, {name: column[:10] for name, column in renamed.items()}))
    described = describe_model(folder, data, DescribeSizes.quick())
    codes = described["continuous_codes"]
    before = Generator(folder, device="cpu").directions
    assert [code["name"] for code in codes] == ["across", "down"]
    assert [code["direction"] for code in codes] == [-before[0], before[1]]  # "across" falls as the first code rises
    assert described["evaluation"]["disentanglement"]["codes"][:2] == ["across", "down"]


def test_a_factor_that_names_a_categorical_code_names_no_continuous_one() -> None:
    codes = [{"index": i, "name": name, "direction": 1} for i, name in enumerate(("size", "c1"))]
    table = {"factors": ["shape", "size"], "codes": ["size", "c1", "shape=a", "shape=b"],
             "information": [[0.9, 0.0], [0.0, 0.8], [0.1, 0.0], [0.1, 0.0]],
             "correlation": [[0.5, 0.0], [0.0, -0.9], [0.0, 0.0], [0.0, 0.0]]}
    named = _named_after_factors(codes, table, {"shape"})
    assert [code["name"] for code in named] == ["c0", "size"]  # code 1 holds size; code 0's shape is taken
    assert named[1]["direction"] == -1 and table["codes"][:2] == ["c0", "size"]
