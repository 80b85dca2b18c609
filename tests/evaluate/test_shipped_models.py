"""The bundled models, described the way the model card is: fail if either drops below what the card claims."""

import dataclasses
import itertools

import numpy as np
import pytest
from PIL import Image, ImageDraw

from evaluate.classifier import Evaluator
from evaluate.codes import NAMED
from evaluate.describe import Sizes, describe
from evaluate.robustness import VARIANTS
from infogan_sdk import Encoder, Generator, available_models

pytestmark = pytest.mark.slow

# Fewer images than the card (see Sizes()), so CI takes about a minute per model; Q accuracy is on the full test
# set either way. The floors sit just under the model cards (docs/models.md).
GUARD = Sizes(mapping_images=2000, samples=2000, per_digit=30, robustness_images=300, not_digit_per_kind=40,
              spread_images=2000, edit_images=500)
ROBUST = {"plain": 0.96, "scan_jpeg": 0.96, "off_centre": 0.96, "rotated": 0.95, "thinner": 0.93, "thicker": 0.94,
          "blurred": 0.95, "low_res_12": 0.95, "low_res_8": 0.92, "grey_paper": 0.94}
FLOORS = {
    # the default model v5, three stages: stage 1's generator (card: 2.03x at 10,000 samples, 1.15x at the guard's
    # 2,000; 0.22% faint samples, under the 1%), the reader trained on it (card: 98.69%, every kind >= 96.0%)
    "mnist": {"q_accuracy_test": 0.983, "digit_control": 0.99, "info_bound_categorical": 2.29, "fd_ratio": 1.6,
              "faint_fraction": 0.01, "robustness": {**ROBUST, "plain": 0.97, "scan_jpeg": 0.97, "off_centre": 0.97,
                                                      "printed": 0.97, "plain_strokes": 0.97},
              "drawn_is_digit": {"printed": 0.95, "plain_strokes": 0.95},
              "robust_is_digit": {"thinner": 0.93},  # card: 97.5% of thinner real digits accepted
              "not_a_digit": {"letters": 0.1, "photos": 0.2}},  # card: 2.0% and 13.5% accepted
    "mnist-v1": {"q_accuracy_test": 0.985, "digit_control": 0.995, "info_bound_categorical": 2.29, "fd_ratio": 2.0,
                 "robustness": {"plain": 0.97, "scan_jpeg": 0.97, "off_centre": 0.96, "grey_paper": 0.96}},
    # the unsupervised model in two stages, no label anywhere (card: 98.84% Q accuracy, 99.90% digit control, 4.34x,
    # 0% faint; robustness 95.7-100% on every kind but printed digits, 90.0%, which its reader never saw)
    "mnist-unsupervised": {"q_accuracy_test": 0.986, "digit_control": 0.995, "info_bound_categorical": 2.29,
                           "fd_ratio": 2.3, "faint_fraction": 0.01,  # 1.84x at the guard's 2,000 samples
                           # its width moves thickness 1/2.04 as much, at the 2x rule's edge: with the guard's fewer
                           # images the rule cannot tell, so its codes are measured as the card measures them
                           "codes_at_card_sizes": True,
                           "robustness": {**ROBUST, "plain": 0.97, "scan_jpeg": 0.97, "off_centre": 0.97,
                                          "plain_strokes": 0.97, "printed": 0.85},
                           "robust_is_digit": {"thinner": 0.91},  # card: 95.9% of thinner real digits accepted
                           "not_a_digit": {"letters": 0.1, "photos": 0.2}},  # card: 3.0% and 7.5% accepted
    # every label, three stages, a deeper reader (card: 99.64% Q accuracy, 99.73% digit control, 2.49x, 0.23% faint;
    # robustness 97.4-100%: thinner 97.4%, low_res_8 97.5%; is_digit accepts 96.2-100% of the robustness kinds)
    "mnist-supervised": {"q_accuracy_test": 0.994, "digit_control": 0.993, "info_bound_categorical": 2.29,
                         "fd_ratio": 1.9, "faint_fraction": 0.01,
                         "robustness": {**ROBUST, "plain": 0.99, "scan_jpeg": 0.98, "off_centre": 0.98, "blurred": 0.98,
                                        "rotated": 0.98, "low_res_12": 0.98, "low_res_8": 0.96, "thinner": 0.95,
                                        "thicker": 0.97, "printed": 0.98, "plain_strokes": 0.98},
                         "drawn_is_digit": {"printed": 0.97, "plain_strokes": 0.97},
                         "robust_is_digit": {"thinner": 0.93, "thicker": 0.93},  # card: 96.8%, 96.2%
                         "not_a_digit": {"letters": 0.1, "photos": 0.2}},  # card: 3.0% and 7.0% accepted
}
# The default model's is_digit at its calibrated threshold (card: 99.1% of MNIST test accepted; blank 0% accepted,
# noise and textures 0.5%, shapes 7.5%; at the guard's 40 per kind one image is 2.5%) and on the robustness suite's
# real digits (card: 97.5% thinner, 97.0% thicker, the rest >= 98.6%)
NOT_A_DIGIT = {"digits_accepted": 0.975, "blank": 0.02, "noise": 0.02, "textures": 0.05, "shapes": 0.08}
ROBUST_IS_DIGIT = 0.88
# Held-out kinds (evaluate/not_digit.py: Fashion-MNIST test, it on paper, Font Awesome icons, Noto emoji): the
# fraction is_digit rejects (the same images as the card's, so the floors sit just under it), and Fashion's AUROC.
# Cards: mnist 96.0, 73.7, 90.9, 78.0%; mnist-unsupervised 96.1, 77.6, 82.9, 69.9%
HELD_OUT_REJECTED = {
    "mnist": {"fashion": 0.955, "fashion_on_paper": 0.72, "icons": 0.89, "emoji": 0.76},
    "mnist-unsupervised": {"fashion": 0.955, "fashion_on_paper": 0.76, "icons": 0.81, "emoji": 0.68},
    # card: 97.7, 82.5, 91.3, 83.6%
    "mnist-supervised": {"fashion": 0.97, "fashion_on_paper": 0.8, "icons": 0.89, "emoji": 0.81},
}
FASHION_AUROC = {"mnist": 0.995, "mnist-unsupervised": 0.995, "mnist-supervised": 0.995}  # card: 0.999 each
# The default model edits (card, 2,000 digits: reconstructions 98.6% same digit, pixel correlation 0.931; +-1 of a code
# moves its measure 0.45-1.30 sd (thickness -1 the least), the digit kept 96.5-98.2%, but 89.4% for width -1; swaps
# 99.2%, Pearson 0.68, 0.73)
EDITING = {"evaluator_same_digit": 0.97, "pixel_correlation_median": 0.91, "change_sd": 0.3, "digit_kept": 0.86,
           "evaluator_reads_target": 0.97, "pearson": 0.5}


def test_every_named_code_of_the_default_rises_at_every_point_of_its_sweep():
    measure_of = {code: measure for measure, code in NAMED.items()}
    codes = [c for c in Generator("mnist", device="cpu").info["continuous_codes"] if c["name"] in measure_of]
    assert {c["name"] for c in codes} >= {"rotation", "thickness"}
    for code in codes:
        curve = code["curve"]["sd"][measure_of[code["name"]]]
        assert len(curve) == 9 and all(b - a >= -0.1 for a, b in itertools.pairwise(curve)), code["name"]


def test_both_models_ship_inside_the_package():
    assert set(FLOORS) <= set(available_models())
    for name in FLOORS:
        generator = Generator(name, device="cpu")
        assert generator.path.parent.name == "models" and generator.path.parent.parent.name == "infogan_sdk"
        assert generator.info["format_version"] == 1 and not generator.info["provisional"]
        assert sum(f.stat().st_size for f in generator.path.iterdir()) <= 8_000_000  # the size budget


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_shipped_model_meets_its_model_card(name):
    card = Sizes()
    sizes = dataclasses.replace(GUARD, per_digit=card.per_digit, spread_images=card.spread_images) \
        if FLOORS[name].get("codes_at_card_sizes") else GUARD
    described = describe(name, sizes=sizes, workers=2)
    results, floor = described["evaluation"], FLOORS[name]
    assert results["q_accuracy_test"] >= floor["q_accuracy_test"]
    assert results["digit_control"] >= floor["digit_control"]
    assert results["info_bound_categorical"] >= floor["info_bound_categorical"]
    assert results["frechet_distance"] <= floor["fd_ratio"] * results["frechet_distance_real_floor"]
    for kind, accuracy in floor["robustness"].items():
        assert results["robustness"][kind] >= accuracy, kind
    if name in HELD_OUT_REJECTED:
        decision = results["not_a_digit"]["is_digit"]
        assert decision["threshold"]["digits_accepted"] >= NOT_A_DIGIT["digits_accepted"]
        for kind in ("blank", "noise", "textures", "shapes"):
            assert decision[kind]["accepted"] <= NOT_A_DIGIT[kind], kind
        for kind, most in floor.get("not_a_digit", {}).items():  # letters, and photos it never saw in any form
            assert decision[kind]["accepted"] <= most, (kind, decision[kind])
        held_out = results["not_a_digit"]["held_out"]
        assert set(held_out) == set(HELD_OUT_REJECTED[name]), held_out  # every source installed (CI installs them)
        for kind, rejected in HELD_OUT_REJECTED[name].items():  # kinds never trained, calibrated or tuned on
            assert 1 - decision[kind]["accepted"] >= rejected, (kind, decision[kind])
        assert results["not_a_digit"]["digit_score"]["fashion"]["auroc"] >= FASHION_AUROC[name]
        accepted = results["robustness_is_digit"]
        for kind in VARIANTS:  # real MNIST digits
            assert accepted[kind] >= floor.get("robust_is_digit", {}).get(kind, ROBUST_IS_DIGIT), (kind, accepted)
        for kind, floor_accepted in floor.get("drawn_is_digit", {}).items():  # printed digits, plain strokes
            assert accepted[kind] >= floor_accepted, (kind, accepted[kind])
    if "faint_fraction" in floor:
        assert results["faint_fraction"] <= floor["faint_fraction"]
    if name in ("mnist", "mnist-supervised"):  # the models with a noise head
        editing = results["editing"]
        for key in ("evaluator_same_digit", "pixel_correlation_median"):
            assert editing["reconstruction"][key] >= EDITING[key], (key, editing["reconstruction"])
        for edit in editing["edits"].values():  # +-1 of each named code: its measure moves that way, EDITING's amount
            assert edit["change_sd"] * edit["step"] >= EDITING["change_sd"] and \
                edit["digit_kept"] >= EDITING["digit_kept"], edit
        assert editing["digit_swap"]["evaluator_reads_target"] >= EDITING["evaluator_reads_target"]
        assert min(editing["digit_swap"]["pearson"].values()) >= EDITING["pearson"], editing["digit_swap"]
    else:
        assert "editing" not in results  # no noise output: nothing to edit with
    # the description agrees with the shipped manifest: same names, directions and axes
    shipped = Generator(name, device="cpu").continuous_codes
    assert [(c["name"], c["direction"]) for c in described["continuous_codes"]] == \
        [(c.name, c.direction) for c in shipped]
    np.testing.assert_allclose([c["axis"] for c in described["continuous_codes"]], [c.axis for c in shipped],
                               atol=1e-5)


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_every_named_code_moves_its_measure_the_positive_way(name):
    measure_of = {code: measure for measure, code in NAMED.items()}
    for code in Generator(name, device="cpu").continuous_codes:
        if code.name in measure_of:
            assert code.effects[measure_of[code.name]] >= 1.0, (code.name, dict(code.effects))


def test_a_batch_of_one_digit_is_drawn_in_eval_mode():
    """In BatchNorm training mode a batch of one digit collapses; the exported graphs are in eval mode."""
    generator, evaluator = Generator("mnist", device="cpu"), Evaluator()
    sevens = generator.generate(digits=7, count=200, seed=3)
    logits, _ = evaluator(sevens.images)
    assert np.mean(logits.argmax(1) == 7) >= 0.97
    # the same latents inside a mixed batch give the same images: no image depends on its neighbours
    mixed_digits = np.where(np.arange(400) % 2 == 0, 7, np.arange(400) % 10)
    noise = np.repeat(sevens.noise, 2, axis=0)
    continuous = np.repeat(sevens.continuous, 2, axis=0)
    mixed = generator.generate(digits=mixed_digits, noise=noise, continuous=continuous, seed=0)
    assert np.array_equal(mixed.images[::2], sevens.images)


def test_encoder_reads_what_the_generator_draws():
    generator, encoder = Generator("mnist", device="cpu"), Encoder("mnist", device="cpu")
    made = generator.generate(digits=np.arange(500) % 10, seed=1)
    read = encoder.infer(made.images)
    assert np.mean(read.digits == made.digits) >= 0.98
    assert read.is_digit.mean() >= 0.97  # the model's own digits are digits (card: 98.9%)


def test_a_pen_one_with_a_short_flag_reads_as_one():
    """Issue 25: a handwritten 1 with a flag read as 7. A flag up to 45 px on a 200 px stem (a 7's bar is longer and
    flatter) at pen widths 10-26 px, dark on a white 280x280 page, as a drawing canvas gives it (model v4 read the
    45 px flags as 7; a 60 px flag with no base is a 7's shape, and every model reads it so)."""
    pages = []
    for flag, width in itertools.product((30, 45), (10, 18, 26)):
        page = Image.new("L", (280, 280), 255)
        pen = ImageDraw.Draw(page)
        pen.line([(150, 40), (150, 240)], fill=0, width=width)
        pen.line([(150, 40), (150 - flag, 40 + flag)], fill=0, width=width)
        pages.append(np.asarray(page))
    assert Encoder("mnist", device="cpu").infer(pages).digits.tolist() == [1] * len(pages)
