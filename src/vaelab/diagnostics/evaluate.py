"""``evaluate(run)``: compute a run's diagnostics on a split and write ``diagnostics.json``."""

from __future__ import annotations

import time
from contextlib import contextmanager

import torch
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from vaelab.diagnostics.likelihood import elbo_terms_mean, iw_nll
from vaelab.runs.io import write_json


@contextmanager
def _bar(enabled: bool, description: str, total: int):
    """A transient rich progress bar on stderr; yields an ``update(n_done)`` callback."""
    if not enabled:
        yield None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda done: bar.update(task, completed=done)


def evaluate_run(run, split: str = "test", iw_samples: int = 1000, batch_size: int = 100,
                 limit: int | None = None, seed: int = 0, write: bool = True, progress: bool = True) -> dict:
    """-ELBO, reconstruction, KL and the importance-weighted NLL of ``run`` on ``split``.

    All figures are nats per example. ``iw_samples`` is K in L_K; Burda et al. use
    K = 5000, the default here is 1000 for speed (the bound is then slightly looser).
    """
    t0 = time.perf_counter()
    torch.manual_seed(seed)
    x = run.eval_data(split)
    side = run.eval_side(split)
    if limit is not None:
        x, side = x[:limit], {k: v[:limit] for k, v in side.items()}
    run.model.eval()
    result = {"split": split, "n": int(x.shape[0]), "checkpoint": run.checkpoint, "seed": seed}
    result.update(elbo_terms_mean(run.model, x, batch_size=max(batch_size, 1000), side=side))
    if iw_samples > 0:
        with _bar(progress, f"IW NLL, K={iw_samples}", int(x.shape[0])) as update:
            result.update(iw_nll(run.model, x, k=iw_samples, batch_size=batch_size, progress=update, side=side))
    result["time_s"] = time.perf_counter() - t0
    if write:
        write_json(run.path / "diagnostics.json", result)
    return result
