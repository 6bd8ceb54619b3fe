"""What the trackers log, named once: metric names from a ``metrics.jsonl`` record, params from the config.

Both trackers use the same names, so a chart in TensorBoard and one in MLflow match:
``train_loss`` -> ``train/loss``, ``valid_neg_elbo`` -> ``valid/neg_elbo``; other
numeric fields keep their name (``beta``, ``lr``, ``epoch``, ``epoch_time_s``, an
aggressive step's fields). Per-step terms are ``step/<term>`` (``step/loss``).
The list ``valid_kl_per_dim`` is not a scalar: TensorBoard draws it as a histogram,
MLflow logs one metric per dimension (``valid/kl_dim/<i>``).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

#: the record's per-dimension KL list (present when the posterior is stochastic)
KL_PER_DIM = "valid_kl_per_dim"
#: the per-dimension metrics' prefix (MLflow), and the histogram's tag (TensorBoard)
KL_DIM_PREFIX = "valid/kl_dim"
KL_HISTOGRAM = "valid/kl_per_dim"
#: MLflow keeps a param value of at most this many characters
MAX_PARAM_LENGTH = 6000


def metric_name(key: str) -> str:
    """``train_loss`` -> ``train/loss``, ``valid_au`` -> ``valid/au``; other keys unchanged."""
    for split in ("train", "valid"):
        if key.startswith(split + "_"):
            return f"{split}/{key[len(split) + 1:]}"
    return key


def is_number(value: Any) -> bool:
    """A value a tracker logs as a scalar: an int or float (a bool counts as 0/1), not a list or a string."""
    return isinstance(value, (int, float))


def epoch_scalars(record: dict) -> dict[str, float]:
    """Every numeric field of a ``metrics.jsonl`` record under its tracker name."""
    return {metric_name(k): float(v) for k, v in record.items() if is_number(v)}


def kl_per_dim(record: dict) -> list[float] | None:
    """The record's per-dimension KL (nats), or None for a deterministic encoder."""
    values = record.get(KL_PER_DIM)
    return [float(v) for v in values] if isinstance(values, list) and values else None


def step_scalars(terms: dict[str, float]) -> dict[str, float]:
    """A step's loss terms as ``step/<term>``."""
    return {f"step/{k}": float(v) for k, v in terms.items() if is_number(v)}


def summary_scalars(summary: dict) -> dict[str, float]:
    """The numbers of ``summary.json`` worth a metric: best values, times, sizes (``best/valid_loss``, ...)."""
    best = summary.get("best") or {}
    out = {f"best/{k}": best.get(k) for k in ("valid_loss", "valid_neg_elbo")}
    out.update({k: summary.get(k) for k in ("epochs_completed", "wall_time_s", "train_time_s", "n_parameters")})
    return {k: float(v) for k, v in out.items() if is_number(v) and math.isfinite(v)}


def summary_tags(summary: dict) -> dict[str, str]:
    """The words of ``summary.json`` as ``vaelab.<field>`` tags: status, best checkpoint, device, versions."""
    best = summary.get("best") or {}
    tags = {"status": summary.get("status"), "error": summary.get("error"),
            "best_checkpoint": best.get("checkpoint"), "device": summary.get("device"),
            "device_name": summary.get("device_name")}
    tags.update({f"version.{k}": v for k, v in (summary.get("versions") or {}).items()})
    return {f"vaelab.{k}": str(v) for k, v in tags.items() if v is not None}


def flatten(tree: dict, prefix: str = "") -> dict[str, Any]:
    """``{"model": {"latent_dim": 16}}`` -> ``{"model.latent_dim": 16}``; nested dicts (data.options) too."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def param_key(key: str) -> str:
    """A config key as an MLflow param key: characters MLflow refuses (outside ``[\\w\\-. /]``) become ``_``."""
    return re.sub(r"[^\w\-. /]", "_", key)


def param_value(value: Any) -> str:
    """A config value as text: strings as they are, everything else as JSON (``true``, ``null``, ``[32, 32]``),
    cut to :data:`MAX_PARAM_LENGTH` characters (MLflow refuses longer values)."""
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= MAX_PARAM_LENGTH else text[: MAX_PARAM_LENGTH - 1] + "…"


def config_params(config: dict) -> dict[str, str]:
    """The resolved config (``config_to_dict``) flattened into MLflow params: ``model.latent_dim`` -> ``"16"``."""
    return {param_key(k): param_value(v) for k, v in flatten(config).items()}


def config_text(config: dict) -> str:
    """The resolved config as YAML, for TensorBoard's text tab (indented: TensorBoard renders markdown)."""
    import yaml

    return "\n".join("    " + line for line in yaml.safe_dump(config, sort_keys=False).splitlines())
