"""The posterior-collapse remedies' posterior heads (BN-VAE, delta-VAE), each checked against its formula by hand."""

import math

import pytest
import torch

from vaelab.config import make_config
from vaelab.distributions import kl_divergence
from vaelab.distributions.posterior import BatchNormMeanHead, CommittedRateHead, committed_variance
from vaelab.errors import ConfigError
from vaelab.models import build_model


def _linear_head(head, weight, bias):
    with torch.no_grad():
        head.linear.weight.copy_(weight)
        head.linear.bias.copy_(bias)
    return head


def test_bn_head_normalises_the_means_by_hand_in_training_and_uses_running_statistics_in_eval():
    head = BatchNormMeanHead(2, 1, gamma=0.6, eps=1e-12)
    _linear_head(head, torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.zeros(2))  # mean = h[:, 0], logvar = h[:, 1]
    with torch.no_grad():
        head.shift.fill_(0.25)
    h = torch.tensor([[1.0, -1.0], [2.0, 0.0], [6.0, 0.5]])  # means 1, 2, 6: batch mean 3, biased variance 14/3
    q = head(h)
    expected = 0.6 * (torch.tensor([1.0, 2.0, 6.0]) - 3.0) / math.sqrt(14 / 3) + 0.25
    assert torch.allclose(q.loc[:, 0], expected, atol=1e-6)
    assert torch.equal(q.logvar[:, 0], h[:, 1])  # the log-variance is left alone
    # running statistics after one batch (momentum 0.1; the running variance is the unbiased one, 7)
    assert head.running_mean.item() == pytest.approx(0.9 * 0 + 0.1 * 3.0)
    assert head.running_var.item() == pytest.approx(0.9 * 1 + 0.1 * 7.0)
    head.eval()
    q = head(h[:1])  # one example: normalised with the running statistics
    assert q.loc.item() == pytest.approx(0.6 * (1.0 - 0.3) / math.sqrt(1.6) + 0.25, rel=1e-6)
    assert {n for n, _ in head.named_parameters()} == {"linear.weight", "linear.bias", "shift"}  # gamma is fixed


def test_bn_vae_batch_mean_kl_of_every_dimension_is_at_least_gamma_squared_over_two():
    cfg = make_config({"model": {"name": "bn-vae", "latent_dim": 4, "hidden": [16], "bn_gamma": 0.5}})
    torch.manual_seed(0)
    model = build_model(cfg.model, (12,), "binary")
    x = (torch.rand(64, 12) < 0.4).float()
    with torch.no_grad():
        model.encoder.layers[0].weight.mul_(1e-3)  # nearly collapsed means: the normalisation restores their spread
        kl = kl_divergence(model.encode(x), model.prior).mean(0)  # (4,)
    assert (kl >= 0.5 ** 2 / 2 * 0.99).all(), kl  # 0.99: var_B / (var_B + eps), eps = 1e-8


@pytest.mark.parametrize("delta", [0.01, 0.1, 0.5, 2.0])
def test_committed_variance_solves_the_kl_floor(delta):
    s = committed_variance(delta)
    assert 0 < s < 1
    assert 0.5 * (s - 1 - math.log(s)) == pytest.approx(delta, rel=1e-12)
    assert committed_variance(0.1) == pytest.approx(0.4932394, rel=1e-6)  # s - 1 - log s = 0.2 below 1


def test_delta_head_keeps_the_kl_of_every_dimension_at_least_delta_on_random_inputs():
    torch.manual_seed(0)
    delta = 0.1
    head = CommittedRateHead(8, 5, delta=delta)
    for scale in (1e-3, 1.0, 100.0):  # the variance head's pre-activation from tiny to huge, both signs
        q = head(scale * torch.randn(500, 8))
        kl = kl_divergence(q, _prior(5))  # (500, 5)
        assert kl.min().item() >= delta - 1e-6, (scale, kl.min().item())
        assert (q.logvar <= math.log(committed_variance(delta)) + 1e-6).all()
    # the floor is reached: a zero mean at the largest allowed variance
    with torch.no_grad():
        head.linear.weight.zero_()
        head.linear.bias.copy_(torch.cat([torch.zeros(5), torch.full((5,), -30.0)]))
    kl = kl_divergence(head(torch.randn(3, 8)), _prior(5))
    assert torch.allclose(kl, torch.full_like(kl, delta), atol=1e-6)


def test_delta_vae_model_commits_its_rate_whatever_the_weights():
    cfg = make_config({"model": {"name": "delta-vae", "latent_dim": 3, "hidden": [16], "committed_rate": 0.3}})
    torch.manual_seed(0)
    model = build_model(cfg.model, (12,), "binary")
    with torch.no_grad():
        for p in model.encoder.parameters():
            p.mul_(50.0)
        out = model(torch.rand(40, 12).round())
    assert out.kl_per_dim.min().item() >= 0.3 - 1e-6 and out.kl.min().item() >= 0.9 - 1e-5


def test_remedy_presets_build_the_heads_they_name():
    shapes = {"bn-vae": BatchNormMeanHead, "delta-vae": CommittedRateHead}
    for name, head in shapes.items():
        cfg = make_config({"model": {"name": name, "latent_dim": 2, "hidden": [8]}})
        assert isinstance(build_model(cfg.model, (6,), "binary").posterior_head, head)
    assert make_config({"model": {"name": "cyclical-vae"}}).kl_schedule.kind == "cyclical"
    assert make_config({"model": {"name": "free-bits-vae"}}).model.options == {"k": 1, "free_bits": 0.5}
    with pytest.raises(ConfigError, match="model.options.free_bits"):
        make_config({"model": {"name": "free-bits-vae", "options": {"free_bits": -1}}})
    with pytest.raises(ConfigError, match="model.bn_gamma"):
        make_config({"model": {"name": "bn-vae", "bn_gamma": 0}})


def _prior(d):
    from vaelab.distributions import StandardNormalPrior

    return StandardNormalPrior(d)
