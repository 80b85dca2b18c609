"""The model card's tables (Markdown) from a description, so README and the docs show exactly what was measured."""

from __future__ import annotations

from typing import Any

from evaluate.morphometrics import MEASURES
from infogan_sdk.loading.codebook import network_inputs
from infogan_sdk.loading.folders import DEFAULT_MODEL, available_models, resolve_model
from infogan_sdk.loading.manifest import load_manifest

# InfoGAN-CR (Lin et al., ICML 2020), Table 1, dSprites, on their protocol (FactorVAE: 500 votes of 100 images)
PUBLISHED = {"InfoGAN": {"factor_vae": 0.59, "mig": 0.05, "dci": 0.41},
             "InfoGAN-CR": {"factor_vae": 0.88, "mig": 0.37, "dci": 0.71, "sap": 0.58}}


def card(description: dict[str, Any]) -> str:
    """Markdown: headline figures, the continuous codes, the robustness suite and the not-a-digit suite (MNIST
    models); the headline figures and the continuous codes of a model of another data set (`general_card`)."""
    if "code_to_digit" not in description:
        return general_card(description)
    evaluation = description["evaluation"]
    tables = [headline(evaluation), codes_table(description["continuous_codes"]),
              robustness_table(evaluation["robustness"], evaluation.get("robustness_is_digit")),
              not_digit_table(evaluation["not_a_digit"])]
    if "editing" in evaluation:  # models whose encoder infers the noise too
        tables.append(editing_table(evaluation["editing"]))
    return "\n\n".join(tables) + "\n"


def headline(evaluation: dict[str, Any]) -> str:
    ratio = evaluation["frechet_distance"] / evaluation["frechet_distance_real_floor"]
    rows = [("Q accuracy, MNIST test (shipped mapping)", f"{evaluation['q_accuracy_test']:.2%}"),
            ("Q accuracy, best one-to-one matching", f"{evaluation['q_accuracy_test_best_matching']:.2%}"),
            ("NMI, MNIST test", f"{evaluation['nmi_test']:.4f}"),
            ("digit control (evaluator)", f"{evaluation['digit_control']:.2%}"),
            ("Frechet distance / real-data floor", f"{evaluation['frechet_distance']:.2f} / "
                                                   f"{evaluation['frechet_distance_real_floor']:.2f} = {ratio:.2f}x"),
            *([("faint samples (peak ink < 80% of full scale)", f"{evaluation['faint_fraction']:.2%}"),
               ("mean ink, samples / MNIST test", f"{evaluation['mean_ink']:.4f} / {evaluation['mean_ink_real']:.4f}"
                                                   f" = {evaluation['mean_ink'] / evaluation['mean_ink_real']:.2f}x")]
              if "faint_fraction" in evaluation else []),
            ("classifier score (max 10)", f"{evaluation['classifier_score']:.3f}"),
            ("L_I, categorical (max ln 10 = 2.303)", f"{evaluation['info_bound_categorical']:.3f}"),
            ("continuous codes' R^2 (Q reads them back)",
             ", ".join(f"{v:.3f}" for v in evaluation["continuous_r2"]))]
    return "| metric | value |\n|---|---|\n" + "\n".join(f"| {name} | {value} |" for name, value in rows)


MNIST_CODES = (MEASURES, {"rotation": "slant", "width": "width", "thickness": "thickness"}, "real MNIST test",
               "leans right, wider, thicker, longer")


def codes_table(codes: list[dict[str, Any]], measures: tuple[tuple[str, ...], dict[str, str], str, str] = MNIST_CODES
                ) -> str:
    """The continuous codes' effects on each measure; `measures`: (the measures, code name -> its measure, the
    real images of the sd unit, what positive means)."""
    names, measure_of, unit, positive = measures
    head = "| code | name | network inputs | " + " | ".join(names) + " |\n|---|---|---|" + "---|" * len(names)
    lines = [f"| {c['index']} | `{c['name']}` | {_inputs(c)} | "
             + " | ".join(_effect(c["effects"], m) for m in names) + " |" for c in codes]
    return head + "\n" + "\n".join(lines) + "\n\n(network inputs: what the code feeds the generator, " \
        "direction x axis over its ONNX input `continuous`; effects: change of each measure's mean " \
        f"from code -2 to +2, in sd of {unit}; " \
        f"positive = {positive})" + curves_table(codes, measure_of, unit)


def curves_table(codes: list[dict[str, Any]], measure_of: dict[str, str] = MNIST_CODES[1],
                 unit: str = "real MNIST test") -> str:
    """Each code's own measure (named codes) at the 9 points of its sweep, in sd of the real images."""
    shown = [c for c in codes if "curve" in c and c["name"] in measure_of]
    if not shown:
        return ""
    points = shown[0]["curve"]["points"]
    head = "| code (measure) | " + " | ".join(f"{p:+.1f}" for p in points) + " |\n|---|" + "---|" * len(points)
    lines = [f"| `{c['name']}` ({measure_of[c['name']]}) | "
             + " | ".join(f"{v:.2f}" for v in c["curve"]["sd"][measure_of[c["name"]]]) + " |" for c in shown]
    return "\n\n" + head + "\n" + "\n".join(lines) + "\n\n(each named code's own measure, mean over the images, " \
        f"in sd of {unit}, at each value of the code; a name needs it to rise at every step)"


def _inputs(code: dict[str, Any]) -> str:
    """The code over the network's continuous inputs, e.g. "-continuous[0]" (a manifest entry without an axis is
    its own column)."""
    return network_inputs(code["direction"], code.get("axis") or [float(i == code["index"])
                                                                  for i in range(code["index"] + 1)])


def _effect(effects: dict[str, float], measure: str) -> str:
    return f"{effects[measure]:+.2f}" if measure in effects else "n/a"


def robustness_table(accuracy: dict[str, float], accepted: dict[str, float] | None = None) -> str:
    table = "| kind | " + " | ".join(accuracy) + " |\n|---|" + "---|" * len(accuracy) + "\n| accuracy | " \
        + " | ".join(f"{v:.1%}" for v in accuracy.values()) + " |"
    if accepted is not None:  # models with a digit score: how many of these real digits is_digit accepts
        table += "\n| is_digit accepts | " + " | ".join(f"{accepted[kind]:.1%}" for kind in accuracy) + " |"
    return table


def not_digit_table(report: dict[str, Any]) -> str:
    scores = [name for name in report if name not in ("categories", "is_digit", "held_out")]
    held_out = report.get("held_out", [])
    categories = [name for name in report["categories"] if name not in held_out]
    head = "| category (images) | " + " | ".join(f"{s}: accepted / AUROC" for s in scores) + " |\n|---|" \
        + "---|" * len(scores)
    lines = ["| MNIST test digits | " + " | ".join(f"{report[s]['threshold']['digits_accepted']:.1%} / -"
                                                   for s in scores) + " |"]
    decision = report.get("is_digit")
    if decision is not None:
        head = head.replace(" |\n|---|", " | is_digit: accepted |\n|---|---|", 1)
        lines[0] += f" {decision['threshold']['digits_accepted']:.1%} |"
    lines += [f"| {name} ({report['categories'][name]}) | "
              + " | ".join(f"{report[s][name]['accepted']:.1%} / {report[s][name]['auroc']:.3f}" for s in scores)
              + " |" + (f" {decision[name]['accepted']:.1%} |" if decision is not None else "") for name in categories]
    table = head + "\n" + "\n".join(lines) + "\n\n(accepted: the fraction scoring above the threshold that rejects " \
        "1% of MNIST test digits; lower is better for every category but the digits)"
    if not held_out or decision is None:
        return table
    rows = [f"| {name} ({report['categories'][name]}) | {1 - decision[name]['accepted']:.1%} | "
            f"{report['digit_score'][name]['auroc']:.3f} | {report['digit_score'][name]['fpr_at_95_tpr']:.1%} |"
            for name in held_out]
    return table + "\n\n| held-out kind (images) | is_digit rejects | digit_score AUROC | FPR at 95% TPR |\n" \
        "|---|---|---|---|\n" + "\n".join(rows) + "\n\n(held out: never trained, calibrated or tuned on; " \
        "evaluate/not_digit.py says where each comes from)"


def editing_table(report: dict[str, Any]) -> str:
    """Reconstruction, each named code's edit and digit swaps, on the robustness suite's MNIST test digits."""
    redrawn, swap = report["reconstruction"], report["digit_swap"]
    rows = [("reconstruct: the evaluator reads the original's digit", f"{redrawn['evaluator_same_digit']:.1%}"),
            ("reconstruct: pixel correlation with the original (median)", f"{redrawn['pixel_correlation_median']:.3f}"),
            *((f"edit({edit['code']}={edit['step']:+g}): {edit['measure']} / digit kept (vs the original, vs "
               "the reconstruction)", f"{edit['change_sd']:+.2f} sd / {edit['digit_kept']:.1%}, "
                                      f"{edit['digit_kept_reconstruction']:.1%}") for edit in report["edits"].values()),
            ("edit(digit=d), d another digit: the evaluator reads d", f"{swap['evaluator_reads_target']:.1%}"),
            ("edit(digit=d): Pearson of slant / thickness with the original's",
             f"{swap['pearson']['slant']:.3f} / {swap['pearson']['thickness']:.3f}")]
    cut = report["not_a_digit"].get("is_digit_and_reconstruction")
    note = ""
    if cut is not None:
        kinds = [kind for kind in cut if kind != "reconstruction_error_cut"]
        alone = sum(cut[kind]["is_digit"] for kind in kinds) / len(kinds)
        both = sum(cut[kind]["both"] for kind in kinds) / len(kinds)
        rows.append(("not a digit: is_digit alone / and reconstruction error <= its 99th digit percentile "
                     "(accepted, mean over categories)", f"{alone:.1%} / {both:.1%}"))
        note = "; the reconstruction error's AUROC per category is in the manifest"
    return "| editing (" + f"{report['images']:,} MNIST test digits) | value |\n|---|---|\n" \
        + "\n".join(f"| {name} | {value} |" for name, value in rows) \
        + "\n\n(sd: of real MNIST test; the evaluator is the independent classifier; a reconstruction keeps the " \
          "encoder's reading, so it cannot read a digit better than the encoder does" + note + ")"


def bundled_manifests() -> dict[str, dict[str, Any]]:
    """Every bundled model's manifest by name, the default first."""
    names = sorted(available_models(), key=lambda name: (name != DEFAULT_MODEL, name))
    return {name: load_manifest(resolve_model(name), verify=False).data for name in names}


def overview(manifests: dict[str, dict[str, Any]], default: str = DEFAULT_MODEL) -> str:
    """Markdown: one row per model (name -> its manifest), the figures a user picks a model by; README and the docs
    site show this table of the bundled models, and tests/test_docs.py fails when README's copy is stale."""
    head = ("| model | labels read | stages | named codes | Q accuracy | digit control | Frechet / floor "
            "| worst robustness kind | Fashion-MNIST rejected | edits your digits | ONNX size |\n" + "|---" * 11 + "|")
    return head + "\n" + "\n".join(_overview_row(name, manifest, name == default)
                                   for name, manifest in manifests.items())


def _overview_row(name: str, manifest: dict[str, Any], default: bool) -> str:
    evaluation, training = manifest["evaluation"], manifest["training"]
    stages = 1 + ("stage1" in training) + ("noise_encoder" in manifest)  # stage 1 GAN, reader, noise head
    named = [code["name"] for code in manifest["continuous_codes"] if code["name"] != f"c{code['index']}"]
    worst = min(evaluation["robustness"], key=evaluation["robustness"].get)
    decision = evaluation["not_a_digit"].get("is_digit", {})
    fashion = f"{1 - decision['fashion']['accepted']:.1%}" if "fashion" in decision else "no score"
    size = sum(entry["bytes"] for entry in manifest["files"].values())
    budget = training["label_budget"]  # None when the mode reads every label
    labels = f"all ({training['train_config']['mode']})" if budget is None else str(budget)
    cells = [f"`{name}`" + (" (default)" if default else ""), labels, str(stages),
             ", ".join(f"`{code}`" for code in named) or "none",
             f"{evaluation['q_accuracy_test']:.2%}", f"{evaluation['digit_control']:.2%}",
             f"{evaluation['frechet_distance'] / evaluation['frechet_distance_real_floor']:.2f}x",
             f"{evaluation['robustness'][worst]:.1%} ({worst})", fashion,
             "yes" if "noise_encoder" in manifest else "no", f"{size / 1e6:.1f} MB"]
    return "| " + " | ".join(cells) + " |"


GROWS = {"brightness": "brighter", "size": "bigger", "x_position": "further right", "y_position": "further down",
         "orientation": "leaning right", "hue": "hue turning from red to green"}  # what positive means per measure


def general_card(description: dict[str, Any]) -> str:
    """Markdown of a model of any data set (evaluate.general): headline figures and the continuous codes."""
    evaluation = description["evaluation"]
    unit = f"real {evaluation['data']['name']} test"
    measures = tuple(evaluation["measures_real_test"])
    positive = ", ".join(GROWS[name] for name in measures if name in GROWS)
    named = (measures, {name: name for name in measures}, unit, positive)
    return general_headline(evaluation) + "\n\n" + codes_table(description["continuous_codes"], named) + "\n"


def general_headline(evaluation: dict[str, Any]) -> str:
    """What the data set allowed to measure: Q accuracy (labels), class control and Frechet (an evaluator); the
    in-domain answer's figures where the model has one."""
    data = evaluation["data"]["name"]
    rows = []
    if "q_accuracy_test" in evaluation:
        rows += [(f"Q accuracy, {data} test (matched on train)", f"{evaluation['q_accuracy_test']:.2%}"),
                 ("Q accuracy, best one-to-one matching", f"{evaluation['q_accuracy_test_best_matching']:.2%}"),
                 (f"NMI, {data} test", f"{evaluation['nmi_test']:.4f}")]
    if "class_control" in evaluation:
        rows.append(("class control (evaluator)", f"{evaluation['class_control']:.2%}"))
    if "frechet_distance" in evaluation:
        ratio = evaluation["frechet_distance"] / evaluation["frechet_distance_real_floor"]
        rows += [("Frechet distance / real-data floor",
                  f"{evaluation['frechet_distance']:.2f} / {evaluation['frechet_distance_real_floor']:.2f} = "
                  f"{ratio:.2f}x"),
                 ("classifier score", f"{evaluation['classifier_score']:.3f}"),
                 (f"evaluator's accuracy, {data} test", f"{evaluation['evaluator_test_accuracy']:.2%}")]
    rows.append((f"mean pixel, samples / {data} test", f"{evaluation['mean_pixel']:.4f} / "
                                                         f"{evaluation['mean_pixel_real']:.4f}"))
    if "info_bound_categorical" in evaluation:
        rows += [("L_I, first categorical code", f"{evaluation['info_bound_categorical']:.3f}"),
                 ("first categorical code read back by Q", f"{evaluation['read_back']:.2%}")]
    rows.append(("continuous codes' R^2 (Q reads them back)",
                 ", ".join(f"{v:.3f}" for v in evaluation["continuous_r2"])))
    if "in_domain" in evaluation:  # the model's "is this one of mine" answer (evaluate.domain)
        answer = evaluation["in_domain"]
        rows.append((f"in_domain: {data} test accepted", f"{answer['own_test']['accepted']:.2%}"))
        rows += [(f"in_domain: {kind.replace('_', ' ')} rejected / AUROC / FPR at 95% TPR",
                  f"{figures['rejected']:.2%} / {figures['auroc']:.3f} / {figures['fpr_at_95_tpr']:.2%}")
                 for kind, figures in answer["held_out"].items()]
    table = "| metric | value |\n|---|---|\n" + "\n".join(f"| {name} | {value} |" for name, value in rows)
    if "disentanglement" in evaluation:  # the data set's known factors (evaluate.disentanglement)
        table += "\n\n" + disentanglement_table(evaluation["disentanglement"], data)
    return table


def disentanglement_table(found: dict[str, Any], data: str) -> str:
    """The four metrics; on dsprites, beside InfoGAN-CR's Table 1 (`PUBLISHED`, their protocol)."""
    published = PUBLISHED if data == "dsprites" else {}
    header = f"| metric | this model (disentanglement_lib's protocol, {found['sizes']['mig']:,} points) |"
    header += "".join(f" {name} (Lin et al. 2020, Table 1) |" for name in published)
    rows = [("mig", "MIG", found["mig"]),
            ("factor_vae", f"FactorVAE score ({len(found['factor_vae']['active'])} of {len(found['codes'])} codes "
                           "active)", found["factor_vae"]["score"]),
            ("dci", "DCI disentanglement", found["dci"]["disentanglement"]), ("sap", "SAP", found["sap"])]
    lines = [header, "|---|---|" + "---|" * len(published)]
    for key, name, value in rows:
        theirs = "".join(f" {figures[key]:.2f} |" if key in figures else " - |" for figures in published.values())
        lines.append(f"| {name} | {value:.3f} |{theirs}")
    return "\n".join(lines)
