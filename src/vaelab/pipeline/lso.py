"""Latent space optimisation on a run: check the request, then the property task or the match task."""

from __future__ import annotations

from dataclasses import fields

from vaelab.errors import ConfigError
from vaelab.latentopt import match_targets, optimize_property
from vaelab.latentopt.settings import MATCH, PROPERTY
from vaelab.latentopt.targets import available, describe_available
from vaelab.pipeline.writer import writing
from vaelab.rundir.layout import LSO, SAMPLERS

TASKS = ("property", "match")
#: settings whose default depends on the task: None means "the task's default"
TASK_DEPENDENT = ("starts", "steps", "lr")


def task_settings(task: str, settings: dict) -> dict:
    """The settings of ``task`` (:mod:`vaelab.latentopt.settings`) taken from ``settings``; others are ignored."""
    names = {f.name for f in fields(MATCH if task == "match" else PROPERTY)}
    return {k: v for k, v in settings.items() if k in names and not (k in TASK_DEPENDENT and v is None)}


def run_lso(run, property: str | None = None, *, task: str = "property", seed: int = 0, refit: bool = False,
            progress: bool = True, **settings):
    """:func:`vaelab.lso` on a loaded run; ``settings`` are those of :mod:`vaelab.latentopt.settings`."""
    check_task(task, property)
    chosen = task_settings(task, settings)
    if task == "property" and property is None:
        names = describe_available(available(run)) or "none (use --task match for images)"
        raise ConfigError(f"lso needs a property: --property NAME (this run has: {names}), or --task match")
    with writing(run, run.layout.root / LSO, run.layout.root / SAMPLERS):
        if task == "match":
            return match_targets(run, seed=seed, progress=progress, **chosen)
        return optimize_property(run, property, seed=seed, refit=refit, progress=progress, **chosen)


def check_task(task: str, property: str | None) -> None:
    """An unknown task, or a property given to the match task, fails before any run is loaded."""
    if task not in TASKS:
        raise ConfigError(f"unknown lso task '{task}'; choose property or match")
    if task == "match" and property is not None:
        raise ConfigError("--property belongs to the property task; drop it for --task match")
