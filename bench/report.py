"""The results dict -> the plain-text tables `python -m bench` prints."""

from __future__ import annotations

from typing import Any

from bench import bulk, editing, peers, serving
from bench.timing import describe

TRAINING_TARGET = 500  # images/s at batch 128, paper architecture, 2 threads (issue 6)


def render(results: dict[str, Any]) -> str:
    lines = header(results)
    for section in SECTIONS.values():
        lines += section(results)
    return "\n".join(lines) + "\n"


def header(results: dict[str, Any]) -> list[str]:
    meta = results["meta"]
    lines = [f"InfoGAN benchmark: model {meta['model']}, {meta['run']} run",
             f"machine: {describe(meta)} (a shared machine makes every figure noisy)",
             "versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items())]
    if "weights" in results:
        errors = results["weights"]["parity_max_abs_error"]
        lines.append(f"PyTorch baseline weights: {results['weights']['weights']}; parity max abs error "
                     f"{max(errors.values()):.1e} (tolerance {results['weights']['tolerance']:.0e})")
    flops = results["flops"]
    lines.append(f"FLOPs per image (2 x MACs of Gemm/MatMul/Conv/ConvTranspose in the ONNX graph): generator "
                 f"{flops['generator'] / 1e6:.2f} M, encoder {flops['encoder'] / 1e6:.2f} M")
    ceilings = "; ".join(f"{t} thread(s) {c['gflops']:.1f} GFLOP/s (torch.mm {c['size']}^2)"
                         for t, c in results["ceiling"].items())
    lines.append(f"float32 matmul ceiling (best call, measured around each section): {ceilings}")
    return lines


def _inference(results: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    titles = {"generate": "1. Generator.generate vs PyTorch eager (sampling + network + uint8)",
              "infer": "2. Encoder.infer vs PyTorch eager (uint8 28x28 in, digits and codes out)"}
    for name, title in titles.items():
        if not results.get(name):
            continue
        lines += ["", title + "; ratio = SDK / PyTorch (latency < 1, images/s > 1: the SDK is faster)",
                  f"{'threads':>7} {'batch':>5} {'metric':<9} {'SDK':>10} {'PyTorch':>10} {'SDK/PT':>7}  "
                  f"{'SDK GFLOP/s':>17}  {'PyTorch GFLOP/s':>17}"]
        for row in results[name]:
            latency = row["metric"] == "latency"
            key = "p50_ms" if latency else "images_per_s"
            gflops = "  ".join(f"{row[f'{s}_gflops']:>8.2f} ({row[f'{s}_ceiling_fraction']:>5.1%})"
                               for s in ("sdk", "torch"))
            lines.append(f"{row['threads']:>7} {row['batch']:>5} {'p50 ms' if latency else 'images/s':<9} "
                         f"{row['sdk'][key]:>10.{3 if latency else 0}f} {row['torch'][key]:>10.{3 if latency else 0}f} "
                         f"{row['ratio']:>7.2f}  {gflops}")
            if latency:
                p99 = row["sdk"]["p99_ms"] / row["torch"]["p99_ms"]
                lines.append(f"{'':>7} {'':>5} {'p99 ms':<9} {row['sdk']['p99_ms']:>10.3f} "
                             f"{row['torch']['p99_ms']:>10.3f} {p99:>7.2f}")
    return lines


def _preprocessing(results: dict[str, Any]) -> list[str]:
    if not results.get("preprocessing"):
        return []
    lines = ["", "3. Encoder.infer input cost: model-ready arrays vs wild images (64x64 RGB, inverted, off-centre)",
             f"{'threads':>7} {'input':<20} {'batch-1 p50 ms':>14} {'images/s @256':>14} {'accuracy':>9}"]
    for row in results["preprocessing"]:
        for name, label in (("uint8_28x28", "uint8 28x28 arrays"), ("wild_pil_64x64_rgb", "PIL 64x64 RGB")):
            figures = row[name]
            lines.append(f"{row['threads']:>7} {label:<20} {figures['latency']['p50_ms']:>14.3f} "
                         f"{figures['throughput']['images_per_s']:>14.0f} {figures['accuracy']:>9.1%}")
        lines.append(f"{'':>7} preprocessing costs {row['preprocess_ms_per_image']:.3f} ms per image")
    return lines


def _cold(results: dict[str, Any]) -> list[str]:
    cold = results.get("cold_start")
    if not cold:
        return []
    lines = ["", f"4. Cold start in a fresh process, ms (median of {cold['runs']}; threads {cold['threads']}): "
                 "interpreter -> import -> model load -> first image",
             f"{'path':<8} {'interpreter':>11} {'import':>8} {'load':>8} {'1st image':>9} {'total':>8} "
             f"{'peak RSS MB':>11}  torch in sys.modules"]
    for name, label in (("sdk", "SDK"), ("torch", "PyTorch")):
        r = cold[name]
        lines.append(f"{label:<8} {r['interpreter']:>11.0f} {r['import']:>8.0f} {r['load']:>8.0f} "
                     f"{r['first_image']:>9.1f} {r['total']:>8.0f} {r['peak_rss_mb']:>11.0f}  {r['torch_imported']}")
    return lines


def _variants(results: dict[str, Any]) -> list[str]:
    variants = results.get("variants")
    if not variants:
        return []
    int8 = variants["int8"]
    calibration = int8["method"]["calibration"]
    lines = ["", f"5. Variants: int8 (QDQ, per-channel, calibrated on {calibration['encoder_images']} MNIST images / "
                 f"{calibration['generator_latents']} latents) vs fp32, batch {int8['batch']}",
             f"{'threads':>7} {'call':<9} {'fp32 images/s':>14} {'int8 images/s':>14} {'int8/fp32':>10}"]
    for row in int8["throughput"]:
        for call in ("generate", "infer"):
            r = row[call]
            lines.append(f"{row['threads']:>7} {call:<9} {r['fp32']:>14.0f} {r['int8']:>14.0f} {r['ratio']:>10.2f}")
    accuracy = int8["accuracy"]
    encoder, readable = accuracy["encoder_accuracy"], accuracy["generator_read_back_by_fp32_encoder"]
    lines += [f"encoder digit accuracy on {accuracy['images']} MNIST test images: fp32 {encoder['fp32']:.2%}, "
              f"int8 {encoder['int8']:.2%} ({100 * encoder['delta']:+.2f} points)",
              f"generator int8 vs fp32, same latents: mean |pixel difference| "
              f"{accuracy['generator_mean_abs_pixel_diff']:.2f} / 255; the fp32 encoder reads the requested digit in "
              f"{readable['fp32']:.2%} (fp32 images) vs {readable['int8']:.2%} (int8 images)",
              f"fp16 on CUDA: {variants['fp16']['status']}"]
    return lines


def _training(results: dict[str, Any]) -> list[str]:
    rows = results.get("training")
    if not rows:
        return []
    lines = ["", f"6. Training throughput (python -m train on MNIST, batch B = {rows[0]['batch']}, {rows[0]['mode']}, "
                 "median step after the first)",
             "   FLOPs/step = 3 F_G B + F_D (8B + 3L + 3C): F = forward FLOPs per image, "
             f"L = {rows[0]['labelled_batch']} labelled images, "
             f"C = {rows[0].get('distorted_batch', 0)} distorted real images (consistency loss)",
             f"{'arch':<8} {'threads':>7} {'images/s':>9} {'GFLOP/step':>10} {'GFLOP/s':>8} {'ceiling':>8} "
             f"{'500/s needs':>11}  steps"]
    for row in rows:
        arch = row["architecture"] + ("*" if row["is_the_models"] else "")
        ceiling = row["gflops"] / row["ceiling_fraction"]  # GFLOP/s of the matmul ceiling at these threads
        needed = TRAINING_TARGET / row["batch"] * row["flops_per_step"] / 1e9 / ceiling
        lines.append(f"{arch:<8} {row['threads']:>7} {row['images_per_s']:>9.0f} "
                     f"{row['flops_per_step'] / 1e9:>10.2f} {row['gflops']:>8.1f} {row['ceiling_fraction']:>8.1%} "
                     f"{needed:>11.1%}  {row['timed_steps']}")
    lines.append(f"   500/s needs: the fraction of the ceiling that the issue's target of {TRAINING_TARGET} images/s "
                 "would take")
    return [*lines, "   * the benchmarked model's own architecture"] if any(r["is_the_models"] for r in rows) else lines


def _service(results: dict[str, Any]) -> list[str]:
    figures = results.get("service")
    if not figures:
        return []
    lines = ["", f"7. infogan serve over HTTP (keep-alive, JSON, base64 PNG) vs the direct SDK call at the same "
                 f"concurrency; onnxruntime threads {figures['threads']}, clients on the same machine",
             f"{'server':<12} {'call':<9} {'clients':>7} {'requests':>8}  {'HTTP req/s':>10} {'p50 ms':>7} "
             f"{'p99 ms':>7}  {'SDK req/s':>9} {'p50 ms':>7} {'p99 ms':>7}  {'HTTP/SDK':>8} {'p50 extra':>9}"]
    for row in figures["rows"]:
        web, sdk = row["http"], row["sdk"]
        ratio = web["requests_per_s"] / sdk["requests_per_s"]
        lines.append(f"{row.get('setting', 'default'):<12} {row['call']:<9} {row['clients']:>7} {row['requests']:>8}  "
                     f"{web['requests_per_s']:>10.0f} {web['p50_ms']:>7.2f} {web['p99_ms']:>7.2f}  "
                     f"{sdk['requests_per_s']:>9.0f} {sdk['p50_ms']:>7.2f} {sdk['p99_ms']:>7.2f}  {ratio:>8.2f} "
                     f"{web['p50_ms'] - sdk['p50_ms']:>9.2f}")
    return lines


# the tables in the order they print, by the name docs/ asks for them (bench.docs)
SECTIONS = {"inference": _inference, "preprocessing": _preprocessing, "cold": _cold, "variants": _variants,
            "training": _training, "service": _service, "bulk": bulk.render, "editing": editing.render,
            "peers": peers.render, "serving": serving.render}
