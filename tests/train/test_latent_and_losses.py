"""The latent contract in the networks, the prior's sampling, and where L_I's gradients go."""

import math

import pytest
import torch

from infogan_sdk.spec import LatentSpec
from train.config import architecture
from train.losses import categorical_cross_entropy, categorical_entropy, gaussian_nll, one_hot, sample_latent
from train.networks import build, parameter_count

CPU = torch.device("cpu")


def test_default_spec_is_the_papers_mnist_setting():
    spec = LatentSpec()
    assert (spec.noise_size, spec.categorical_sizes, spec.n_continuous) == (62, (10,), 2)
    assert spec.latent_size == 74
    assert categorical_entropy(spec) == pytest.approx(math.log(10))


def test_sampling_distributions_and_shapes():
    spec = LatentSpec()
    latent = sample_latent(spec, 20000, torch.Generator().manual_seed(0), CPU)
    assert latent.noise.shape == (20000, 62) and latent.categorical.shape == (20000, 10)
    assert latent.continuous.shape == (20000, 2) and latent.codes.shape == (20000, 1)
    assert latent.noise.mean().abs() < 0.01 and (latent.noise.std() - 1).abs() < 0.01  # N(0, 1)
    assert latent.continuous.min() >= -1 and latent.continuous.max() <= 1  # U(-1, 1), not N(0, 1)
    assert latent.continuous.mean().abs() < 0.02
    assert (latent.continuous.var() - 1 / 3).abs() < 0.01  # variance of U(-1, 1)
    counts = torch.bincount(latent.codes[:, 0], minlength=10).float() / 20000
    assert torch.all((counts - 0.1).abs() < 0.01)
    # exactly one 1 per row, at the code's position
    assert torch.equal(latent.categorical.sum(dim=1), torch.ones(20000))
    assert torch.equal(latent.categorical.argmax(dim=1), latent.codes[:, 0])


def test_one_hot_places_several_codes_in_spec_order():
    spec = LatentSpec(noise_size=3, categorical_sizes=(4, 3), n_continuous=1)
    encoded = one_hot(spec, torch.tensor([[2, 0], [3, 2]]))
    assert encoded.tolist() == [[0, 0, 1, 0, 1, 0, 0], [0, 0, 0, 1, 0, 0, 1]]


def test_networks_follow_a_non_default_spec():
    spec = LatentSpec(noise_size=5, categorical_sizes=(4, 3), n_continuous=3)
    generator, discriminator = build(architecture("tiny", spec), seed=0)
    latent = sample_latent(spec, 2, torch.Generator().manual_seed(0), CPU)
    images = generator(latent.noise, latent.categorical, latent.continuous)
    assert images.shape == (2, 1, 28, 28)
    realness, logits, mean, log_std = discriminator(images)
    assert realness.shape == (2,) and logits.shape == (2, 7) and mean.shape == (2, 3) and log_std.shape == (2, 3)


def test_batch_of_one_keeps_its_batch_axis():
    spec = LatentSpec()
    generator, discriminator = build(architecture("tiny", spec), seed=0)
    generator.eval()
    discriminator.eval()
    latent = sample_latent(spec, 1, torch.Generator().manual_seed(0), CPU)
    realness, logits, _, _ = discriminator(generator(latent.noise, latent.categorical, latent.continuous))
    assert realness.shape == (1,) and logits.shape == (1, 10)


def test_paper_architecture_size():
    generator, discriminator = build(architecture("paper", LatentSpec()), seed=0)
    # FC 74-1024-6272, upconvs 128-64-1; body conv 1-64-128, FC 6272-1024, heads: about 6.6 M each
    assert 6.5e6 < parameter_count(generator) < 6.7e6
    assert 6.5e6 < parameter_count(discriminator) < 6.9e6


def test_info_loss_reaches_generator_q_head_and_shared_body():
    spec = LatentSpec()
    generator, discriminator = build(architecture("tiny", spec), seed=0)
    latent = sample_latent(spec, 8, torch.Generator().manual_seed(0), CPU)
    _, logits, mean, log_std = discriminator(generator(latent.noise, latent.categorical, latent.continuous))
    info_loss = categorical_cross_entropy(spec, logits, latent.codes) + gaussian_nll(mean, log_std, latent.continuous)
    info_loss.backward()
    for name, module in [("generator", generator), ("body", discriminator.body), ("q_head", discriminator.q_head)]:
        norm = sum(p.grad.abs().sum() for p in module.parameters() if p.grad is not None)
        assert norm > 0, f"L_I has no gradient on the {name}"
    # the D head is not part of L_I
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in discriminator.d_head.parameters())


def test_gaussian_nll_is_the_factored_gaussian():
    mean, log_std, target = torch.zeros(1, 2), torch.tensor([[0.0, math.log(2.0)]]), torch.tensor([[1.0, 2.0]])
    expected = sum(-torch.distributions.Normal(0.0, s).log_prob(torch.tensor(t)) for s, t in [(1.0, 1.0), (2.0, 2.0)])
    assert gaussian_nll(mean, log_std, target).item() == pytest.approx(expected.item(), rel=1e-6)


def test_cross_entropy_is_on_logits_not_probabilities():
    spec = LatentSpec()
    logits = torch.tensor([[10.0] + [0.0] * 9])
    # a softmax in front of the cross-entropy would give about ln(10) - small; on logits it is near 0
    assert categorical_cross_entropy(spec, logits, torch.tensor([[0]])).item() < 1e-3
