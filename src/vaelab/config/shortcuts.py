"""Short names for common config keys: the one table behind ``vaelab train``'s flags and :func:`vaelab.train`'s keywords.

Each shortcut is declared here once, with its config key, type and help text; the CLI
builds its flags from this table (``--latent-dim`` for ``latent_dim``) and
:func:`vaelab.train` turns its keywords into ``key=value`` overrides with it. Defaults
are the config's own (:mod:`vaelab.config.schema`), shown in the help from there.
"""

from __future__ import annotations

import json
from typing import NamedTuple

from vaelab.errors import ConfigError


class Shortcut(NamedTuple):
    key: str  # the dotted config key it sets
    type: type
    help: str


SHORTCUTS: dict[str, Shortcut] = {
    "model": Shortcut("model.name", str, "model variant or preset (`vaelab models` lists them)"),
    "data": Shortcut("data.name", str, "dataset (`vaelab datasets` lists them)"),
    "data_dir": Shortcut("data.data_dir", str, "folder holding the dataset's files (or $VAELAB_DATA)"),
    "epochs": Shortcut("train.epochs", int, "training epochs"),
    "latent_dim": Shortcut("model.latent_dim", int, "dimensions of z"),
    "seed": Shortcut("train.seed", int, "seed of initialisation, batches and binarisation"),
    "batch_size": Shortcut("train.batch_size", int, "examples per step"),
    "lr": Shortcut("optim.lr", float, "Adam learning rate"),
    "device": Shortcut("train.device", str, "auto, cpu, cuda or cuda:N"),
    "beta": Shortcut("kl_schedule.end", float, "the KL weight (its final value when annealed)"),
    "posterior": Shortcut("model.posterior", str, "posterior head: gaussian, bounded-gaussian, deterministic, ..."),
    "likelihood": Shortcut("model.likelihood", str, "likelihood head: auto, bernoulli, gaussian, ..."),
    "compile": Shortcut("train.compile", bool, "torch.compile the training step; auto: for runs of 20,000+ steps"),
}


def flag(name: str) -> str:
    """The CLI flag of a shortcut: ``latent_dim`` -> ``--latent-dim``."""
    return "--" + name.replace("_", "-")


def shortcut_overrides(values: dict) -> list[str]:
    """``{"epochs": 5}`` -> ``["train.epochs=5"]``, skipping values that are None."""
    out = []
    for name, value in values.items():
        if value is None:
            continue
        if name not in SHORTCUTS:
            raise ConfigError(f"unknown option '{name}'. Valid: {', '.join(sorted(SHORTCUTS))}, "
                              "or pass dotted keys with overrides=['section.key=value']")
        text = value if isinstance(value, str) else json.dumps(value)
        out.append(f"{SHORTCUTS[name].key}={text}")
    return out
