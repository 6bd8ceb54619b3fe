"""Fréchet ChemNet Distance (Preuer et al. 2018), from fcd_torch's ChemNet and vaelab's own Fréchet distance.

The package ``fcd_torch`` ships the ChemNet weights (so this works offline), its
architecture loader and its SMILES one-hot encoding; those are used as they are. Its
``FCD`` class is not: its distance calls ``scipy.linalg.sqrtm(..., disp=False)``,
whose ``disp`` argument SciPy 1.17 deprecates and 1.18 removes, and it stacks
activations with ``np.row_stack``, which NumPy 2 deprecates. Here the activations are
computed with the same network and encoding, summarised by mean and covariance, and
compared with an eigendecomposition-based Fréchet distance (no ``sqrtm`` at all), so the
figure does not depend on the SciPy version and site-packages stay untouched.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from vaelab.chem.deps import require
from vaelab.chem.properties import valid_canonical
from vaelab.diagnostics.frechet import frechet_distance_stats
from vaelab.errors import VaelabError

CHEMNET_DIM = 512  # width of ChemNet's penultimate layer, the FCD feature space


@lru_cache(maxsize=4)
def chemnet(device: str = "cpu") -> torch.nn.Module:
    """fcd_torch's pretrained ChemNet (v0.13), in eval mode on ``device``; loaded once per device.

    The weights file holds only tensors and plain containers, so it loads with
    ``torch.load(weights_only=True)``: no code runs from it.
    """
    utils = require("fcd_torch.utils", "fcd_torch")
    path = Path(utils.__file__).with_name("ChemNet_v0.13_pretrained.pt")
    config = torch.load(path, map_location="cpu", weights_only=True)
    return utils.load_imported_model(config).eval().to(device)


def chemnet_activations(
    smiles: Sequence[str], *, device: str = "cpu", batch_size: int = 512, n_jobs: int = 1
) -> np.ndarray:
    """ChemNet's penultimate activations (n_valid, 512), float64, for the valid molecules in ``smiles``.

    Invalid strings are dropped (fcd_torch would raise on them); valid ones are
    canonicalised with RDKit first, as fcd_torch does. ``n_jobs`` > 1 one-hot encodes in
    that many DataLoader worker processes; ``batch_size`` bounds memory (a batch is
    batch_size x 35 x 350 floats).
    """
    utils = require("fcd_torch.utils", "fcd_torch")
    canon = valid_canonical(smiles)
    if not canon:
        return np.zeros((0, CHEMNET_DIM))
    loader = torch.utils.data.DataLoader(
        utils.SmilesDataset(canon, canonize=False),  # already canonical
        batch_size=batch_size,
        num_workers=n_jobs if n_jobs > 1 else 0,
    )
    model = chemnet(str(device))
    out = []
    with torch.inference_mode():
        for batch in loader:  # (B, 350, 35): one-hot tokens / 35, fcd_torch's encoding
            out.append(model(batch.transpose(1, 2).float().to(device)).cpu().numpy())  # (B, 512)
    return np.concatenate(out).astype(np.float64)


def chemnet_stats(smiles: Sequence[str], **kwargs) -> dict:
    """Mean (512,) and covariance (512, 512) of the ChemNet activations of the valid molecules.

    Keyword arguments go to :func:`chemnet_activations`. Returns ``{"mu", "sigma", "n"}``;
    compute a reference set's statistics once and pass them to :func:`fcd` as
    ``reference_stats``. Raises VaelabError with fewer than 2 valid molecules.
    """
    acts = chemnet_activations(smiles, **kwargs)  # (n, 512)
    if acts.shape[0] < 2:
        raise VaelabError(
            f"the FCD needs at least 2 valid molecules per set, got {acts.shape[0]} of {len(smiles)}; "
            "sample more molecules or skip the FCD"
        )
    return {"mu": acts.mean(0), "sigma": np.cov(acts, rowvar=False), "n": int(acts.shape[0])}


def fcd(
    generated: Sequence[str],
    reference: Sequence[str] | None = None,
    *,
    reference_stats: dict | None = None,
    device: str = "cpu",
    batch_size: int = 512,
    n_jobs: int = 1,
) -> float:
    """Fréchet ChemNet Distance between generated and reference molecules (Preuer et al. 2018); lower is closer.

    Both sets are reduced to their valid canonical molecules, as MOSES does
    (Polykovskiy et al. 2020: "FCD/Test" compares the valid generated molecules with
    the test set). Give either ``reference`` SMILES or precomputed ``reference_stats``
    from :func:`chemnet_stats`. Each set needs at least 2 valid molecules.
    """
    if (reference is None) == (reference_stats is None):
        raise ValueError("fcd needs exactly one of reference (SMILES) or reference_stats (from chemnet_stats)")
    opts = {"device": device, "batch_size": batch_size, "n_jobs": n_jobs}
    ref = reference_stats if reference_stats is not None else chemnet_stats(reference, **opts)
    gen = chemnet_stats(generated, **opts)
    return frechet_distance_stats(gen["mu"], gen["sigma"], ref["mu"], ref["sigma"])
