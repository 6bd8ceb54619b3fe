"""Where the config meets the model registry: the named model's preset settings, typed options and KL term.

:func:`apply_variant` runs on the raw (nested dict) config before it is validated:
it looks the model up (a typo gets a did-you-mean), reads options saved under an old
name as their new name, fills in a preset's settings wherever the user set nothing,
and validates ``model.options`` against the variant's typed options. :func:`check_kl_term`
runs on the validated config: a KL schedule on a model without a KL term is an error.
"""

from __future__ import annotations

import copy
from typing import Any

from vaelab.config.schema import KLScheduleConfig, ModelConfig, RunConfig
from vaelab.errors import ConfigError


def apply_variant(raw: dict, *, saved_run: bool = False) -> dict:
    """``raw`` with the model's preset settings filled in and ``model.options`` validated (defaults included).

    ``saved_run``: the config.yaml of an existing run, whose old option names are read
    without a deprecation warning (the user did not write them) and whose missing options
    (added after it was saved) take their old values, not a preset's (``VariantOptions.legacy``).
    """
    from vaelab.models.options import fill_legacy, parse_options, rename_legacy  # (models load torch: on use)

    model = raw.get("model") if isinstance(raw.get("model"), dict) else {}
    name = model.get("name", ModelConfig.model_fields["name"].default)
    if not isinstance(name, str):
        return raw  # pydantic reports the type
    entry = _registry_entry(name)
    options = model.get("options", {} if saved_run and model else None)
    if isinstance(options, dict):
        options = rename_legacy(entry.options, options, name, warn=not saved_run)
        if saved_run:
            options = fill_legacy(entry.options, options)
        raw = {**raw, "model": {**model, "options": options}}
    for key, value in entry.settings.items():
        if not _is_set(raw, key):
            raw = _set(raw, key, value)
    model = raw.get("model") or {}
    parsed = parse_options(entry.options, model.get("options"), name, warn=not saved_run)
    return {**raw, "model": {**model, "options": parsed.model_dump(mode="json")}}


def check_kl_term(cfg: RunConfig) -> None:
    """A KL schedule set on a model without a KL term (a deterministic posterior) is a ConfigError.

    Fires only when ``kl_schedule`` differs from the default (constant beta = 1), which
    no preset of a deterministic model sets; the objective would ignore it silently.
    """
    if cfg.model.has_kl_term:
        return
    default = KLScheduleConfig()
    changed = [f"kl_schedule.{k}={v}" for k, v in cfg.kl_schedule if v != getattr(default, k)]
    if changed:
        names = ", ".join(_registry_entry(cfg.model.name).options.model_fields) or "none"
        raise ConfigError(f"model '{cfg.model.name}' has no KL term (its posterior is deterministic), so a KL "
                          f"schedule would be ignored; remove {', '.join(changed)} (--beta sets kl_schedule.end). "
                          f"Its own loss settings are model.options: {names}")


def _registry_entry(name: str):
    """The model registry's entry for ``name`` (a ConfigError with a did-you-mean when unknown).

    The registry is the authority on model names, their preset settings and their typed
    options. Imported on use: :mod:`vaelab.models` loads torch.
    """
    from vaelab.models.registry import get_entry

    return get_entry(name)


def _is_set(raw: dict, dotted: str) -> bool:
    node = raw
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _set(raw: dict, dotted: str, value: Any) -> dict:
    """A copy of ``raw`` with ``dotted`` set to (a copy of) ``value``; the dicts along the path are copied."""
    head, _, rest = dotted.partition(".")
    if not rest:
        return {**raw, head: copy.deepcopy(value)}
    child = raw.get(head)
    return {**raw, head: _set(child if isinstance(child, dict) else {}, rest, value)}
