"""The RAE and WAE penalties against hand-computed values."""

from types import SimpleNamespace

import pytest
import torch
from torch import nn

from vaelab.objectives.regularizers import (code_l2, code_mean_square, gradient_penalty, imq_kernel, mmd_imq,
                                           weight_l2)


def _linear_decoder(w: torch.Tensor, b: torch.Tensor):
    """decode(z) with mean D(z) = z W^T + b, so grad_z D = W."""
    return lambda z: SimpleNamespace(mean=z @ w.T + b)


def test_code_l2_is_half_the_squared_norm():
    z = torch.tensor([[3.0, 4.0], [0.0, 1.0]])
    assert torch.equal(code_l2(z), torch.tensor([12.5, 0.5]))


def test_code_mean_square_is_the_authors_mean_over_latent_dimensions_without_a_half():
    z = torch.tensor([[3.0, 4.0, 0.0], [0.0, 1.0, 2.0]])
    assert torch.allclose(code_mean_square(z), torch.tensor([25.0 / 3, 5.0 / 3]))
    assert torch.allclose(code_mean_square(z), code_l2(z) * 2 / 3)  # 2/d times the paper's 1/2 ||z||^2


def test_weight_l2_sums_squared_weight_matrices_but_not_biases():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    expected = net[0].weight.square().sum() + net[2].weight.square().sum()
    assert torch.allclose(weight_l2(net), expected)


def test_gradient_penalty_sum_form_is_the_norm_of_w_transposed_times_ones():
    w, b = torch.randn(5, 3, generator=torch.Generator().manual_seed(1)), torch.randn(5)
    z = torch.randn(4, 3, requires_grad=True)
    gp, _ = gradient_penalty(_linear_decoder(w, b), z, "sum")
    expected = (w.T @ torch.ones(5)).square().sum()  # ||J^T 1||^2, the same for every z
    assert torch.allclose(gp, expected.expand(4), rtol=1e-5)
    curved = lambda zz: SimpleNamespace(mean=torch.tanh(zz @ w.T + b))  # noqa: E731
    gp, _ = gradient_penalty(curved, z, "sum")
    gp.sum().backward()  # differentiable (create_graph) in training
    assert z.grad is not None and float(z.grad.abs().sum()) > 0


def test_gradient_penalty_authors_form_is_the_mean_square_of_the_gradient_of_the_summed_squares():
    # D(z) = z W^T + b with W = [[1, 2], [0, 1], [3, 0]], b = 0 at z = (1, 1): D = (3, 1, 3).
    # grad_z sum_i D_i^2 = W^T (2 D) = 2 * (1*3 + 0*1 + 3*3, 2*3 + 1*1 + 0*3) = (24, 14);
    # the authors' K.mean(K.square(.)) over the 2 latent dimensions: (24^2 + 14^2) / 2 = 386.
    w, b = torch.tensor([[1.0, 2.0], [0.0, 1.0], [3.0, 0.0]]), torch.zeros(3)
    z = torch.tensor([[1.0, 1.0], [0.0, 0.0]])
    gp, _ = gradient_penalty(_linear_decoder(w, b), z, "authors")
    assert gp.tolist() == [386.0, 0.0]  # at z = 0, D = 0: no gradient of the squares
    with pytest.raises(ValueError, match="sum, authors, frobenius"):
        gradient_penalty(_linear_decoder(w, b), z, "mean")


def test_gradient_penalty_frobenius_form_averages_to_the_jacobian_norm():
    w, b = torch.randn(6, 3, generator=torch.Generator().manual_seed(2)), torch.zeros(6)
    z = torch.zeros(20000, 3)  # one Hutchinson draw per row
    gp, _ = gradient_penalty(_linear_decoder(w, b), z, "frobenius", generator=torch.Generator().manual_seed(0))
    assert float(gp.mean()) == pytest.approx(float(w.square().sum()), rel=0.03)


def test_gradient_penalty_is_zero_for_a_decoder_constant_in_z():
    from vaelab.config import make_config
    from vaelab.models import build_model

    cfg = make_config({"model": {"name": "rae-gp", "latent_dim": 3, "hidden": [16]}})
    model = build_model(cfg.model, (12,), "binary")
    with torch.no_grad():
        model.decoder.layers[0].weight.zero_()  # the decoder no longer sees z
    z = torch.randn(8, 3)
    gp, _ = gradient_penalty(lambda zz: model.decode(zz), z)
    assert torch.equal(gp, torch.zeros(8))
    x = (torch.rand(8, 12) < 0.5).float()
    assert torch.equal(model(x, 1.0).extras["gp"], torch.zeros(8))


def test_gradient_penalty_is_the_same_with_gradients_off():
    w, b = torch.randn(5, 3), torch.randn(5)
    z = torch.randn(4, 3)
    with_grad, _ = gradient_penalty(_linear_decoder(w, b), z)
    with torch.no_grad():
        without, _ = gradient_penalty(_linear_decoder(w, b), z)
    assert torch.allclose(with_grad.detach(), without) and not without.requires_grad


def _naive_mmd(z, p, scales):
    n = len(z)
    k = lambda a, b: sum(c / (c + float(((a - b) ** 2).sum())) for c in scales)  # noqa: E731
    same = sum(k(z[i], z[j]) + k(p[i], p[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    cross = sum(k(z[i], p[j]) for i in range(n) for j in range(n)) / n**2
    return same - 2 * cross


def test_mmd_matches_a_naive_double_loop():
    g = torch.Generator().manual_seed(0)
    z, p = torch.randn(7, 2, generator=g, dtype=torch.float64), torch.randn(7, 2, generator=g, dtype=torch.float64)
    scales = torch.tensor([0.5, 4.0], dtype=torch.float64)
    assert float(mmd_imq(z, p, scales)) == pytest.approx(_naive_mmd(z, p, [0.5, 4.0]), rel=1e-10)
    assert torch.allclose(imq_kernel(z[:1], z[:1], scales), torch.tensor([[2.0]], dtype=torch.float64))


def test_mmd_is_near_zero_for_the_same_distribution_and_positive_for_a_shifted_one():
    g = torch.Generator().manual_seed(1)
    scales = torch.tensor([2.0 * 2])
    same = mmd_imq(torch.randn(2000, 2, generator=g), torch.randn(2000, 2, generator=g), scales)
    shifted = mmd_imq(torch.randn(2000, 2, generator=g) + 1.0, torch.randn(2000, 2, generator=g), scales)
    assert abs(float(same)) < 2e-3 and float(shifted) > 0.05
