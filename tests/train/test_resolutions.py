"""Networks by resolution: 28, 32 and 64 pixels, grey or colour, each architecture; the paper's presets."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from infogan_sdk.spec import LatentSpec
from train.augment import degraded, shifted
from train.config import ARCHITECTURES, PRESETS, ModelConfig, architecture
from train.losses import sample_latent
from train.networks import NoiseHead, body_features, build, parameter_count
from train.pixels import to_pixels, to_uint8
from train.samples import fixed_noise, sample_grid

CPU = torch.device("cpu")
SHAPES = [(1, 28, 28), (3, 28, 28), (1, 32, 32), (3, 32, 32), (1, 64, 64), (3, 64, 64)]
BUDGET_BYTES = 8_000_000  # a shipped model folder's budget; both networks in fp32 must fit in it


def spec_of(shape: tuple[int, int, int], categorical: tuple[int, ...] = (10, 5), continuous: int = 3) -> LatentSpec:
    return LatentSpec(noise_size=16, categorical_sizes=categorical, n_continuous=continuous, image_shape=shape)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("arch", ["tiny", "compact"])
def test_networks_draw_and_read_every_shape(arch: str, shape: tuple[int, int, int]) -> None:
    spec = spec_of(shape)
    generator, discriminator = build(architecture(arch, spec, learn_std=True), seed=0)
    latent = sample_latent(spec, 3, torch.Generator().manual_seed(0), CPU)
    images = generator(latent.noise, latent.categorical, latent.continuous)
    assert images.shape == (3, *shape) and float(images.detach().abs().max()) <= 1.0
    realness, logits, mean, log_std, features = discriminator.forward_with_features(images)
    assert realness.shape == (3,) and logits.shape == (3, 15) and mean.shape == (3, 3) and log_std.shape == (3, 3)
    config = architecture(arch, spec)
    assert features.shape == (3, body_features(config) + config.q_fc)


def test_the_paper_32_network_has_the_papers_layer_sizes() -> None:
    """Appendix C.2 (SVHN): G FC 2x2x448 - upconv 256 - 128 - 64 - 3; D conv 64 - 128 - 256 - FC; Q FC 128."""
    spec = PRESETS["svhn"]
    generator, discriminator = build(architecture("paper", spec), seed=0)
    linear = [m for m in generator.fc if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear] == [(168, 2 * 2 * 448)]
    upconvs = [m for m in generator.deconv if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [(m.in_channels, m.out_channels, m.kernel_size, m.stride) for m in upconvs] == [
        (448, 256, (4, 4), (2, 2)), (256, 128, (4, 4), (2, 2)), (128, 64, (4, 4), (2, 2)), (64, 3, (4, 4), (2, 2))]
    convs = [m for m in discriminator.body.layers if isinstance(m, torch.nn.Conv2d)]
    assert [(m.in_channels, m.out_channels, m.stride) for m in convs] == [(3, 64, (2, 2)), (64, 128, (2, 2)),
                                                                          (128, 256, (2, 2))]
    assert not any(isinstance(m, torch.nn.Linear) for m in discriminator.body.layers)  # D's FC is its output
    assert discriminator.d_head.in_features == 256 * 4 * 4
    q_hidden = discriminator.q_head.hidden[0]
    assert (q_hidden.in_features, q_hidden.out_features) == (256 * 4 * 4, 128)
    assert 2.75e6 < parameter_count(generator) < 2.85e6 and 1.15e6 < parameter_count(discriminator) < 1.25e6


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_compact_fits_the_shipped_budget_and_is_smaller_than_paper(preset: str) -> None:
    spec = PRESETS[preset]
    sizes = {}
    for arch in ("paper", "compact", "tiny"):  # "small" draws 64x64 alone
        generator, discriminator = build(architecture(arch, spec), seed=0)
        sizes[arch] = parameter_count(generator) + parameter_count(discriminator)
    assert 1.0e6 < sizes["compact"] * 4 < BUDGET_BYTES - 0.5e6  # fp32 bytes, with room for the folder's extras
    assert sizes["tiny"] < 0.1 * sizes["compact"] < 0.5 * sizes["paper"]


def test_architecture_picks_the_variant_of_the_image_side() -> None:
    assert architecture("paper", LatentSpec()) == ModelConfig()
    assert len(architecture("compact", spec_of((3, 32, 32))).generator_channels) == 4
    chairs = architecture("paper", PRESETS["chairs"])
    assert chairs.generator_channels == (512, 256, 128, 64) and len(chairs.discriminator_channels) == 4
    # other sides: the nearest variant whose stages divide them
    assert architecture("tiny", spec_of((1, 16, 16))) == ModelConfig(latent=spec_of((1, 16, 16)),
                                                                      **ARCHITECTURES["tiny"][28])
    assert architecture("tiny", spec_of((1, 128, 128))).generator_channels == (16, 8, 8, 4)  # the 64 variant's
    spec = spec_of((3, 128, 96))  # not square: each side has its own start
    generator, _ = build(architecture("tiny", spec), seed=0)
    latent = sample_latent(spec, 2, torch.Generator().manual_seed(0), CPU)
    assert generator(latent.noise, latent.categorical, latent.continuous).shape == (2, 3, 128, 96)


def test_sizes_the_layout_cannot_draw_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match=r"no 'compact' variant draws 30x30 images"):
        architecture("compact", spec_of((1, 30, 30)))
    odd = ModelConfig(latent=spec_of((1, 28, 28)), generator_channels=(64, 32, 16))
    with pytest.raises(ValueError, match=r"generator has 3 stride-2 stages .* divisible by 8, got 28"):
        build(odd, seed=0)
    odd = ModelConfig(latent=spec_of((1, 32, 32)), discriminator_channels=(8, 8, 8, 8, 8, 8))
    with pytest.raises(ValueError, match=r"discriminator has 6 stride-2 stages .* divisible by 64, got 32"):
        build(odd, seed=0)


def test_model_config_reads_its_dict_with_stage_tuples_of_any_length() -> None:
    config = architecture("paper", PRESETS["chairs"])
    data = config.to_dict()
    assert data["generator_channels"] == (512, 256, 128, 64)
    saved = {**data, "generator_channels": list(data["generator_channels"]),
             "discriminator_channels": list(data["discriminator_channels"])}  # as JSON gives them back
    assert ModelConfig.from_dict(saved) == config


def test_presets_are_the_papers_five_settings_and_infogan_crs() -> None:
    """Appendix C: the generator's input sizes it states (74, 168, 228, 133, 189) and the image shapes; InfoGAN-CR's
    dSprites: 5 codes (here a category of 3 and 4 continuous) and 5 uniform noise values."""
    expected = {"mnist": (74, (1, 28, 28)), "svhn": (168, (3, 32, 32)), "celeba": (228, (3, 32, 32)),
                "faces": (133, (1, 32, 32)), "chairs": (189, (1, 64, 64)), "dsprites": (5 + 3 + 4, (1, 64, 64))}
    assert {name: (spec.latent_size, spec.image_shape) for name, spec in PRESETS.items()} == expected
    assert PRESETS["svhn"].categorical_sizes == (10,) * 4 and PRESETS["svhn"].n_continuous == 4
    assert PRESETS["chairs"].categorical_sizes == (20,) * 3 and PRESETS["faces"].categorical_sizes == ()
    assert PRESETS["celeba"].n_continuous == 0 and PRESETS["mnist"] == LatentSpec()
    assert PRESETS["dsprites"].categorical_sizes == (3,) and PRESETS["dsprites"].noise_distribution == "uniform"


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (1, 64, 64)])
def test_noise_head_reads_any_shape(shape: tuple[int, int, int]) -> None:
    head = NoiseHead(spec_of(shape), n_features=12, hidden=8)
    noise = head(torch.zeros(2, *shape), torch.zeros(2, 12))
    assert noise.shape == (2, 16)
    assert head.net[0].in_features == 12 + shape[0] * (shape[1] // 2) * (shape[2] // 2)


def test_pixels_round_trip_grey_and_rgb() -> None:
    spec = spec_of((3, 4, 5))
    rgb = torch.randint(0, 256, (2, 4, 5, 3), dtype=torch.uint8)
    pixels = to_pixels(rgb, spec)
    assert pixels.shape == (2, 3, 4, 5) and float(pixels.min()) >= -1 and float(pixels.max()) <= 1
    assert float(pixels[1, 2, 3, 4]) == pytest.approx(int(rgb[1, 3, 4, 2]) / 127.5 - 1, abs=1e-6)  # channel 2 = blue
    assert (to_uint8(pixels, spec) == rgb.numpy()).all()
    grey = torch.randint(0, 256, (2, 4, 5), dtype=torch.uint8)
    assert to_pixels(grey, spec).shape == (2, 1, 4, 5) and (to_uint8(to_pixels(grey, spec), spec) == grey.numpy()).all()


@pytest.mark.parametrize(("shape", "mode"), [((1, 32, 32), "L"), ((3, 32, 32), "RGB"), ((3, 64, 64), "RGB")])
def test_sample_grid_in_the_models_channels(shape: tuple[int, int, int], mode: str) -> None:
    spec = spec_of(shape, categorical=(4, 3), continuous=2)
    generator, _ = build(architecture("tiny", spec), seed=0)
    picture = sample_grid(generator, spec, fixed_noise(spec))
    side = shape[1]
    # rows: the first code's 4 values; columns: 2 blocks of COLUMNS with one gap cell between; padding 2
    assert picture.mode == mode and picture.size == (17 * (side + 2) + 2, 4 * (side + 2) + 2)


def test_sample_grid_without_continuous_codes_varies_the_noise_along_a_row() -> None:
    spec = spec_of((3, 32, 32), categorical=(10, 10), continuous=0)
    generator, _ = build(architecture("tiny", spec), seed=0)
    cells = np.asarray(sample_grid(generator, spec, fixed_noise(spec)))[2:34]  # the first row's cells
    first, second = cells[:, 2:34], cells[:, 36:68]
    assert np.abs(first.astype(int) - second).mean() > 0.1  # not eight copies of one image (those differ by 0)


def test_augmentations_take_rgb() -> None:
    base = torch.randint(1, 80, (4, 8, 8), dtype=torch.uint8)
    rgb = base[..., None] * torch.tensor([1, 2, 3], dtype=torch.uint8)  # (4, 8, 8, 3): channels in step
    moved = shifted(rgb, 2, torch.Generator().manual_seed(0))
    assert moved.shape == rgb.shape and not torch.equal(moved, rgb)
    assert torch.equal(moved[..., 1], 2 * moved[..., 0]) and torch.equal(moved[..., 2], 3 * moved[..., 0])  # one shift
    assert torch.equal(moved[..., 0], shifted(base, 2, torch.Generator().manual_seed(0)))  # as a grey image moves
    pixels = to_pixels(torch.randint(0, 256, (6, 16, 16, 3), dtype=torch.uint8), spec_of((3, 16, 16)))
    assert degraded(pixels, -1.0, torch.Generator().manual_seed(0)).shape == (6, 3, 16, 16)


def test_the_small_64_network_has_infogan_crs_layer_sizes() -> None:
    """InfoGAN-CR's dSprites networks: G FC 128 - FC 4x4x64 - upconv 64 - 32 - 32 - 1; D conv 32 - 32 - 64 - 64 -
    FC 128, Q FC 128; with spectral_norm every conv and FC of D normalised and no BatchNorm in it."""
    spec = PRESETS["dsprites"]
    generator, discriminator = build(architecture("small", spec, spectral_norm=True), seed=0)
    linear = [m for m in generator.fc if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear] == [(5 + 3 + 4, 128), (128, 4 * 4 * 64)]
    upconvs = [m for m in generator.deconv if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [(m.in_channels, m.out_channels) for m in upconvs] == [(64, 64), (64, 32), (32, 32), (32, 1)]
    convs = [m for m in discriminator.body.layers if isinstance(m, torch.nn.Conv2d)]
    assert [(m.in_channels, m.out_channels, m.stride) for m in convs] == [(1, 32, (2, 2)), (32, 32, (2, 2)),
                                                                          (32, 64, (2, 2)), (64, 64, (2, 2))]
    assert discriminator.d_head.in_features == 128 and discriminator.q_head.hidden[0].out_features == 128
    layers = [m for m in discriminator.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    assert len(layers) == 4 + 1 + 1 + 3  # body convs and FC, D head, Q's hidden FC and its two outputs
    assert all(torch.nn.utils.parametrize.is_parametrized(m, "weight") for m in layers)
    assert not any(isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)) for m in discriminator.modules())
    with pytest.raises(ValueError, match="no 'small' variant draws 28x28"):
        architecture("small", LatentSpec())
