"""Active units: how many latent dimensions the encoder's mean actually uses."""

from __future__ import annotations

import torch


def active_units(means: torch.Tensor, threshold: float = 0.01) -> dict:
    """Count the active latent units of an encoder (Burda et al. 2016, "Importance Weighted Autoencoders").

    ``means`` is (N, d): the posterior means E_q[z|x] over an evaluation set. The
    activity of unit u is A_u = Var_x(E_q[z_u]), the sample variance over the N
    examples with an N - 1 denominator; the unit is active when A_u > ``threshold``
    (Burda et al. use 0.01). A collapsed unit's mean ignores x, so its activity is ~0.
    Computed in float64 on the host. Raises ValueError unless ``means`` is 2-D with N >= 2.

    Returns ``{"au", "activity_per_dim", "collapsed_dims", "au_threshold"}``.
    """
    if means.dim() != 2:
        raise ValueError(f"active_units needs posterior means of shape (N, d), got {tuple(means.shape)}")
    if means.shape[0] < 2:
        raise ValueError(f"active_units needs at least 2 examples for a variance, got N = {means.shape[0]}")
    activity = means.detach().to("cpu", torch.float64).var(dim=0, correction=1)  # (d,)
    active = activity > threshold  # (d,)
    return {
        "au": int(active.sum()),
        "activity_per_dim": activity.tolist(),
        "collapsed_dims": torch.nonzero(~active).flatten().tolist(),
        "au_threshold": threshold,
    }
