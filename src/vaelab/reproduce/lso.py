"""The NE-VAE paper's toy latent space optimisation (sec. 5.4) on a study's trained rows, as table columns.

For each row the decoder is frozen and codes are optimised with Adam so that the decoded
mean matches test images (:func:`vaelab.latentopt.match_targets`, the task ``vaelab lso
--task match`` runs). Its figures become three columns of the study's table:

* ``lso_steps``: Adam steps until the loss settles (within ``tol`` of its total change),
  the analogue of the paper's iterations at stopping threshold 0 (NE-VAE se 16,200, VAE
  26,900, aggressive 35,900, beta = 0.9 21,600; Omniglot, 50 images);
* ``lso_code_dist``: the mean squared distance between the codes that different random
  starts for the same image end at (the paper: smallest for NE-VAE se);
* ``lso_loss_std``: the spread of the final loss across starts.

A run's ``lso/match/result.json`` is reused when it was made with the same settings and
checkpoint, so writing a record again (``--record-only``) costs nothing.
"""

from __future__ import annotations

import json

from vaelab.latentopt import match_targets
from vaelab.rundir import RunLayout, load_run


def _cached(run_dir, settings: dict, checkpoint: str) -> dict | None:
    path = RunLayout(run_dir).lso("match") / "result.json"
    try:
        summary = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    got = summary.get("settings", {})
    same = all(got.get(k) == v for k, v in settings.items()) and got.get("checkpoint") == checkpoint
    return summary if same else None


def match_figures(run_dir, settings: dict, progress: bool = False) -> dict[str, float]:
    """The three LSO columns of one trained run (see the module docstring), computed once per settings."""
    run = load_run(run_dir, device="cpu")
    summary = _cached(run_dir, settings, run.checkpoint)
    if summary is None:
        summary = match_targets(run, progress=progress, **settings).summary
    return {"lso_steps": float(summary["converged"]["mean"]), "lso_code_dist": float(summary["spread"]["code_sq_dist"]),
            "lso_loss_std": float(summary["loss"]["final_std"])}


def match_columns(collected, arms, settings: dict) -> dict[str, dict[str, float]]:
    """``arm -> LSO columns`` for each of ``arms`` trained so far (the mean over its seeds' runs)."""
    out: dict[str, dict[str, float]] = {}
    for arm in arms:
        rows = [match_figures(t.run_dir, settings) for t in collected.trials if t.arm == arm]
        if rows:
            out[arm] = {k: sum(r[k] for r in rows) / len(rows) for k in rows[0]}
    return out
