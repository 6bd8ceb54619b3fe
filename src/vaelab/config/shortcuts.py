"""Short names for common keys, shared by the CLI flags and :func:`vaelab.train` keywords."""

from __future__ import annotations

SHORTCUTS: dict[str, str] = {
    "model": "model.name",
    "data": "data.name",
    "data_dir": "data.data_dir",
    "epochs": "train.epochs",
    "latent_dim": "model.latent_dim",
    "seed": "train.seed",
    "batch_size": "train.batch_size",
    "lr": "optim.lr",
    "device": "train.device",
    "beta": "kl_schedule.end",
    "posterior": "model.posterior",
    "likelihood": "model.likelihood",
    "compile": "train.compile",
}


def shortcut_overrides(values: dict) -> list[str]:
    """``{"epochs": 5}`` -> ``["train.epochs=5"]``, skipping values that are None."""
    import json

    out = []
    for key, value in values.items():
        if value is None:
            continue
        if key not in SHORTCUTS:
            from vaelab.errors import ConfigError

            raise ConfigError(f"unknown option '{key}'. Valid: {', '.join(sorted(SHORTCUTS))}, "
                              "or pass dotted keys with overrides=['section.key=value']")
        text = value if isinstance(value, str) else json.dumps(value)
        out.append(f"{SHORTCUTS[key]}={text}")
    return out
