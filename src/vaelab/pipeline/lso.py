"""Latent space optimisation on a run: check the request, then the property task or the match task."""

from __future__ import annotations

from vaelab.errors import ConfigError
from vaelab.latentopt import match_targets, optimize_property
from vaelab.latentopt.targets import available, describe_available

TASKS = ("property", "match")


def run_lso(run, property: str | None = None, *, task: str = "property", starts: int | None = None,
            steps: int | None = None, lr: float | None = None, penalty: float = 0.5, penalty_on: str = "codes",
            start: str = "worst", direction: str | None = None, max_norm="auto", box: bool = True,
            targets: int = 50, loss: str = "se", init: str = "sampler", tol: float = 0.01, seed: int = 0,
            refit: bool = False, progress: bool = True):
    """:func:`vaelab.lso` on a loaded run (see its docstring for every option)."""
    check_task(task, property)
    pick = lambda value, default: default if value is None else value  # noqa: E731 (0 is a value, not "unset")
    if task == "match":
        return match_targets(run, targets=targets, starts=pick(starts, 10), steps=pick(steps, 1000),
                             lr=pick(lr, 0.05), loss=loss, init=init, tol=tol, seed=seed, progress=progress)
    if property is None:
        names = describe_available(available(run)) or "none (use --task match for images)"
        raise ConfigError(f"lso needs a property: --property NAME (this run has: {names}), or --task match")
    return optimize_property(run, property, starts=pick(starts, 10), start=start, steps=pick(steps, 500),
                             lr=pick(lr, 0.05), penalty=penalty, penalty_on=penalty_on, max_norm=max_norm, box=box,
                             direction=direction, seed=seed, refit=refit, progress=progress)


def check_task(task: str, property: str | None) -> None:
    """An unknown task, or a property given to the match task, fails before any run is loaded."""
    if task not in TASKS:
        raise ConfigError(f"unknown lso task '{task}'; choose property or match")
    if task == "match" and property is not None:
        raise ConfigError("--property belongs to the property task; drop it for --task match")
