"""The 'VAE with k samples' (Burda et al. 2016, sec. 5): the reconstruction term averaged over k draws."""

import torch

from vaelab.config import make_config
from vaelab.models import build_model
from vaelab.objectives.elbo import elbo_terms


def _model(k: int):
    cfg = make_config({"model": {"name": "vae", "latent_dim": 3, "hidden": [8], "options": {"k": k}}})
    return build_model(cfg.model, (6,), "binary")


def test_k_samples_average_the_reconstruction_by_hand():
    torch.manual_seed(0)
    model = _model(4)
    x = torch.bernoulli(torch.full((5, 6), 0.5))
    torch.manual_seed(1)
    out = model.objective(x, 1.0)
    torch.manual_seed(1)
    q = model.encode(x)
    z = q.rsample((4,))  # the same draws, (4, 5, 3)
    by_hand = torch.stack([-model.decode(z[i]).log_prob(x) for i in range(4)]).mean(0)  # (5,)
    assert torch.allclose(out.rec, by_hand, atol=1e-5)
    assert torch.allclose(out.loss, (by_hand + out.kl).mean(), atol=1e-5)


def test_one_sample_is_the_plain_elbo():
    torch.manual_seed(0)
    model = _model(1)
    x = torch.bernoulli(torch.full((5, 6), 0.5))
    torch.manual_seed(2)
    a = model.objective(x, 0.5)
    torch.manual_seed(2)
    b = elbo_terms(model, x, 0.5)
    assert torch.equal(a.loss, b.loss)
