"""Penalties that replace or accompany the KL term: RAE (Ghosh et al. 2020) and WAE-MMD (Tolstikhin et al. 2018).

Each function returns a per-example (B,) tensor where the penalty is per example, or a
0-d tensor where it is a property of the whole batch (the MMD) or of the weights
(Tikhonov), so the objective decides how to weight and log it.
"""

from __future__ import annotations

import torch
from torch import nn

from vaelab.distributions.sequence import TokenDistribution


def code_l2(z: torch.Tensor) -> torch.Tensor:
    """L_Z^RAE = 1/2 ||z||_2^2 per example (RAE paper, eq. 2): (B, d) -> (B,)."""
    return 0.5 * z.square().sum(-1)


def code_mean_square(z: torch.Tensor) -> torch.Tensor:
    """L_Z^RAE as the authors' code computes it: the mean of z_k^2 over the d latent dimensions, no 1/2
    (Ghosh et al. 2020, code release, ``embeddig_loss`` in ``models/rae/loss_functions.py``:
    ``K.mean(K.square(embedding), axis=[1])``): (B, d) -> (B,), = code_l2(z) * 2 / d.
    """
    return z.square().mean(-1)


def weight_l2(module: nn.Module) -> torch.Tensor:
    """Tikhonov regularisation ||theta||_2^2 over the weight matrices of ``module`` (RAE-L2, eq. 4 with L_REG = ||theta||^2).

    Biases are left out, as in weight decay; a parametrised weight (spectral norm)
    counts through its stored ``original``.
    """
    total = None
    for name, p in module.named_parameters():
        if p.dim() < 2:  # biases, scalars
            continue
        total = p.square().sum() if total is None else total + p.square().sum()
    return total if total is not None else torch.zeros(())


#: the forms of :func:`gradient_penalty`
GP_FORMS = ("sum", "authors", "frobenius")


def gradient_penalty(decode, z: torch.Tensor, form: str = "sum", generator=None):
    """The RAE-GP term at the codes z (Ghosh et al. 2020, "From variational to deterministic autoencoders",
    sec. 3.1, L_GP = ||grad D(E(x))||^2), by a double backward; per example, (B,).

    The paper writes the gradient with respect to x; like the authors' code we differentiate
    the decoder's output D(z) with respect to the code z = E(x), the decoder's smoothness in
    latent space. Three forms, with J = dD/dz (B x D x d):

    - ``form="sum"`` (default): g = grad_z sum_i D_i(z) = J^T 1, penalty ||g||^2 summed over
      the latent dimensions.
    - ``form="authors"``: what the authors' Keras code computes (``grad_pen_loss`` in
      ``models/rae/loss_functions.py``: ``K.mean(K.square(K.gradients(K.square(y_pred),
      embedding)))``): g = grad_z sum_i D_i(z)^2 = J^T (2 D(z)), penalty the mean of g^2 over
      the latent dimensions (their mean also runs over the batch, which the caller's mean does).
    - ``form="frobenius"``: g = J^T v with v ~ N(0, I) (Hutchinson), whose expectation
      ||J||_F^2 is the full Jacobian norm, unbiased from one backward pass.

    ``decode(z)`` returns the likelihood p(x|z) (its ``mean`` is D(z); for token data, whose
    mean is ids without a gradient, D(z) is the token probabilities ``probs``). Returns
    ``(penalty (B,), p)`` so the caller reuses p for the reconstruction term. When
    gradients are off (evaluation) the penalty is computed all the same and detached.
    """
    if form not in GP_FORMS:
        raise ValueError(f"gradient penalty form must be one of {', '.join(GP_FORMS)}, not {form!r}")
    outer = torch.is_grad_enabled()
    with torch.enable_grad():
        zg = z if z.requires_grad else z.detach().requires_grad_(True)
        p = decode(zg)
        out = p.probs if isinstance(p, TokenDistribution) else p.mean  # (B, *event) or (B, L, V)
        (g,) = torch.autograd.grad(out, zg, grad_outputs=_probe(out, form, generator), create_graph=outer)  # (B, d)
    penalty = g.square().mean(-1) if form == "authors" else g.square().sum(-1)  # (B,)
    return (penalty, p) if outer else (penalty.detach(), p)


def _probe(out: torch.Tensor, form: str, generator) -> torch.Tensor:
    """The vector v of the product J^T v: ones (sum), 2 D(z) (authors: the gradient of sum D^2), or N(0, I)."""
    if form == "sum":
        return torch.ones_like(out)
    if form == "authors":
        return 2.0 * out
    return torch.randn(out.shape, generator=generator, device=out.device, dtype=out.dtype)


def imq_kernel(a: torch.Tensor, b: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
    """sum_s C_s / (C_s + ||a_i - b_j||^2), the inverse multiquadratic kernel summed over scales: (N, M)."""
    d2 = torch.cdist(a, b).square()  # (N, M)
    return (scales[:, None, None] / (scales[:, None, None] + d2)).sum(0)


def mmd_imq(z: torch.Tensor, z_prior: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
    """Unbiased MMD^2 between codes z (n, d) and prior draws (n, d) with the IMQ kernel (WAE paper, Algorithm 2).

    MMD^2 = 1/(n(n-1)) sum_{i!=j} k(z_i, z_j) + 1/(n(n-1)) sum_{i!=j} k(p_i, p_j)
            - 2/n^2 sum_{i,j} k(z_i, p_j).
    Returns a 0-d tensor (a property of the batch).
    """
    n = z.shape[0]
    if n < 2:
        raise ValueError("the MMD needs at least 2 codes per batch")
    k_zz = imq_kernel(z, z, scales)  # (n, n)
    k_pp = imq_kernel(z_prior, z_prior, scales)  # (n, n)
    k_zp = imq_kernel(z, z_prior, scales)  # (n, n)
    off = 1.0 - torch.eye(n, device=z.device, dtype=z.dtype)  # (n, n)
    same = ((k_zz + k_pp) * off).sum() / (n * (n - 1))
    return same - 2.0 * k_zp.mean()
