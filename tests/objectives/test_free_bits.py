"""Free bits (Kingma et al. 2016, app. C.8): sum_j max(lambda, batch-mean KL_j), checked against hand-computed values."""

import pytest
import torch

from vaelab.config import make_config
from vaelab.models import build_model
from vaelab.objectives.elbo import elbo_terms
from vaelab.objectives.free_bits import free_bits_kl

# KL per example and dimension, (B=2, d=3): batch means 0.1, 1.0, 0.4
KL = torch.tensor([[0.0, 1.5, 0.3],
                   [0.2, 0.5, 0.5]])


def test_free_bits_clamps_the_batch_mean_of_each_dimension():
    # max(0.5, 0.1) + max(0.5, 1.0) + max(0.5, 0.4) = 0.5 + 1.0 + 0.5
    assert free_bits_kl(KL, 0.5).item() == pytest.approx(2.0)
    assert free_bits_kl(KL, 0.0).item() == pytest.approx(KL.sum(-1).mean().item())  # lambda = 0: the mean KL
    # clamping the batch mean, not each example: max(0.3, .) per example would give 0.3+0.3 for dimension 0
    assert free_bits_kl(KL, 0.3).item() == pytest.approx(0.3 + 1.0 + 0.4)


def test_dimensions_under_lambda_get_no_gradient():
    kl = KL.clone().requires_grad_(True)
    free_bits_kl(kl, 0.5).backward()
    assert torch.equal(kl.grad, torch.tensor([[0.0, 0.5, 0.0], [0.0, 0.5, 0.0]]))  # d/dKL of mean_B = 1/B


def _model(name, **options):
    cfg = make_config({"model": {"name": name, "latent_dim": 3, "hidden": [8], "options": options}})
    torch.manual_seed(0)
    return build_model(cfg.model, (6,), "binary")


def test_the_free_bits_vae_loss_by_hand_and_its_logged_kl_is_the_true_kl():
    model = _model("free-bits-vae", free_bits=0.7)
    x = torch.bernoulli(torch.full((5, 6), 0.5), generator=torch.Generator().manual_seed(1))
    torch.manual_seed(2)
    out = model.objective(x, 0.5)
    torch.manual_seed(2)
    elbo = elbo_terms(model, x, 0.5)  # the same draw of z
    assert torch.equal(out.rec, elbo.rec) and torch.equal(out.kl, elbo.kl)  # logged terms: the ELBO's own
    per_dim = elbo.kl_per_dim.detach().mean(0)  # (3,)
    term = sum(max(0.7, float(v)) for v in per_dim)
    assert out.loss.item() == pytest.approx(elbo.rec.mean().item() + 0.5 * term, rel=1e-6)
    assert torch.allclose(out.extras["kl_free_bits"], torch.full((5,), term))


def test_free_bits_zero_is_the_vae():
    model, vae = _model("free-bits-vae", free_bits=0.0), _model("vae")
    x = torch.bernoulli(torch.full((5, 6), 0.5), generator=torch.Generator().manual_seed(1))
    torch.manual_seed(3)
    a = model.objective(x, 1.0)
    torch.manual_seed(3)
    b = vae.objective(x, 1.0)
    assert torch.allclose(a.loss, b.loss, atol=1e-6)
