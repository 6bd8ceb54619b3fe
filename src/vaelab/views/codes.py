"""The latent codes behind the figures: posterior arrays of a split, sampled codes, side inputs, activity.

Shared by the image figures (:mod:`vaelab.views.arrays`) and the molecule figures
(:mod:`vaelab.views.molecules`).
"""

from __future__ import annotations

import numpy as np
import torch

from vaelab.data.groups import group_labels
from vaelab.diagnostics.activity import active_units
from vaelab.nn.batching import take
from vaelab.sampling import fitted_sampler
from vaelab.sampling.store import read_record


def _gen(run, seed: int) -> torch.Generator:
    return torch.Generator(device=run.device).manual_seed(seed)


@torch.no_grad()
def posterior_arrays(run, split: str = "test", batch_size: int = 1000) -> dict:
    """Posterior means and log-variances of a split, plus the grouping used to colour them."""
    mu, logvar = run.encode_posterior(split, batch_size=batch_size)  # (N, d), (N, d) or None
    out = {"mu": mu.cpu().numpy()}
    if logvar is not None:
        out["logvar"] = logvar.cpu().numpy()
    labels, name, _ = group_labels(run.data, split, seed=run.config.data.split_seed)
    out.update(labels=labels, label_name=np.asarray(name))
    return out


def _side(run, split: str, idx: torch.Tensor) -> dict:
    return take(run.eval_side(split), idx)


def conditional(run) -> bool:
    """True when the model takes side inputs (labels, scores) besides x."""
    return bool(run.model.side_inputs)


def sampled_codes(run, name: str, n: int, seed: int = 0, generator: torch.Generator | None = None,
                  refit: bool = False) -> torch.Tensor:
    """n codes from the sampler ``name``: (n, d) on the run's device.

    ``prior`` draws z ~ p(z) with ``generator`` (default: seeded with ``seed``); any
    other name is a sampler fitted to the training codes (:mod:`vaelab.sampling`),
    loaded from the run directory or fitted once and saved there (``refit`` fits again).
    """
    if name == "prior":
        return run.model.prior.sample(n, generator=generator or _gen(run, seed))  # (n, d)
    return fitted_sampler(run, name, refit=refit, progress=False).sample(n, seed=seed).to(run.device)  # (n, d)


def sampler_label(run, name: str) -> str:
    """What a sampler is, for records: ``prior``, or ``gmm (components=10, ...)`` as saved in the run."""
    if name == "prior":
        return "prior"
    record = read_record(run, name) or {}
    options = ", ".join(f"{k}={v}" for k, v in (record.get("options") or {}).items())
    return f"{name} ({options}; fitted to the train codes)" if options else name


def prior_side(run, n: int) -> dict:
    """Side inputs for n prior samples: labels cycled 0, 1, 2, ... (or the test examples' side inputs, cycled)."""
    if "y" in run.model.side_inputs:
        return {"y": torch.arange(n, device=run.device) % int(run.model.n_classes)}
    if conditional(run):
        return _side(run, "test", torch.arange(n, device=run.device) % len(run.eval_data("test")))
    return {}


def dim_activity(run) -> np.ndarray:
    """Per-dimension activity from diagnostics.json, else from the saved or freshly encoded test posterior."""
    act = run.diagnostics.get("activity_per_dim")
    if act is not None:
        return np.asarray(act, dtype=np.float64)
    mu = posterior_arrays(run, "test")["mu"]
    return np.asarray(active_units(torch.as_tensor(mu))["activity_per_dim"])


def base_code(run, base: str) -> torch.Tensor:
    """Where a traversal starts: ``zero`` (the prior's mean) or ``data`` (the first test example's code): (d,)."""
    if base == "data":
        return run.encode_means("test", rows=np.array([0]))[0]  # (d,)
    if base == "zero":
        return torch.zeros(run.model.latent_dim, device=run.device)
    raise ValueError(f"traversal base must be 'zero' or 'data', not {base!r}")
