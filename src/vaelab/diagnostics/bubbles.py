"""Posterior "bubbles" as numbers: how large and how far out each group's posteriors are."""

from __future__ import annotations

import numpy as np


def posterior_bubbles(mean, logvar, groups, group_by: str = "label", names=None) -> dict:
    """Per group, the mean posterior volume and distance from the origin, plus an evenness score.

    The molecule article (Cho, figs. 6-9) draws each posterior N(mu, sigma^2) as a
    "bubble" and compares how big the bubbles are and where they sit. Per group g
    (a label, or a k-means cluster when the data has none):

        volume_g   = mean over x in g of sum_k log sigma_k^2(x)   (log of the squared volume)
        distance_g = mean over x in g of ||mu(x)||_2

    ``evenness_cv`` is the coefficient of variation of the per-group volumes,
    std_g(volume_g) / |mean_g(volume_g)| (population std): 0 when every group's
    posteriors are equally large; larger when some groups are squeezed into small
    bubbles while others spread. It is computed on log-volumes (the natural scale of
    sum log sigma^2), so it is scale-free only up to the latent dimension.

    ``mean``, ``logvar``: (N, d) arrays; ``groups``: (N,) integer ids; ``names``:
    optional group names by id. Groups with no examples are left out.
    """
    mean = np.asarray(mean, dtype=np.float64)  # (N, d)
    logvar = np.asarray(logvar, dtype=np.float64)  # (N, d)
    groups = np.asarray(groups).astype(np.int64)  # (N,)
    if mean.shape != logvar.shape or mean.ndim != 2 or groups.shape != (mean.shape[0],):
        raise ValueError(f"need mean, logvar (N, d) and groups (N,), got {mean.shape}, {logvar.shape}, {groups.shape}")
    log_volume = logvar.sum(1)  # (N,)
    distance = np.linalg.norm(mean, axis=1)  # (N,)
    rows = []
    for g in np.unique(groups):
        sel = groups == g
        name = names[g] if names is not None and 0 <= g < len(names) else str(int(g))
        rows.append({"group": name, "id": int(g), "n": int(sel.sum()),
                     "volume": float(log_volume[sel].mean()), "distance": float(distance[sel].mean())})
    volumes = np.array([r["volume"] for r in rows])
    centre = abs(volumes.mean()) if len(volumes) else 0.0
    cv = float(volumes.std() / centre) if len(volumes) > 1 and centre > 0 else None
    return {"group_by": group_by, "groups": rows, "evenness_cv": cv}
