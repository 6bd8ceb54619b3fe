"""Build, validate, load and save :class:`RunConfig` objects with readable errors."""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any, Iterable

import yaml
from pydantic import BaseModel, ValidationError

from vaelab.config.schema import RunConfig
from vaelab.errors import ConfigError

# Sections whose fields are free-form dictionaries (validated by the dataset or model).
_FREE_FORM = {"options"}


def _section_fields(model: type[BaseModel]) -> dict[str, Any]:
    return dict(model.model_fields)


def _suggest(name: str, valid: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(valid), n=1)
    return f" Did you mean '{close[0]}'?" if close else ""


def _check_keys(raw: dict, model: type[BaseModel], prefix: str = "") -> None:
    """Reject unknown keys with a message listing the valid ones."""
    if not isinstance(raw, dict):
        where = prefix.rstrip(".") or "the config"
        raise ConfigError(f"{where} must be a mapping of keys to values, got {type(raw).__name__}")
    fields = _section_fields(model)
    for key, value in raw.items():
        if key not in fields:
            where = f"in '{prefix.rstrip('.')}'" if prefix else "at the top level"
            raise ConfigError(
                f"unknown config key '{prefix}{key}'.{_suggest(str(key), fields)} "
                f"Valid keys {where}: {', '.join(sorted(fields))}"
            )
        annotation = fields[key].annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) and key not in _FREE_FORM:
            _check_keys(value if value is not None else {}, annotation, f"{prefix}{key}.")


def _format_validation_error(err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"] if not str(p).startswith("function-"))
        got = e.get("input")
        got_s = "" if isinstance(got, dict) else f" (got {got!r})"
        msg = e["msg"].replace("Value error, ", "")
        lines.append(f"config key '{loc}': {msg}{got_s}" if loc else msg)
    return "; ".join(lines)


def make_config(raw: dict | RunConfig | None = None, overrides: Iterable[str] = ()) -> RunConfig:
    """Validate a (possibly partial) nested dict plus ``key=value`` overrides into a RunConfig."""
    if isinstance(raw, RunConfig):
        raw = config_to_dict(raw)
    raw = dict(raw or {})
    raw = apply_overrides(raw, overrides)
    _check_keys(raw, RunConfig)
    raw = _apply_preset(raw)
    try:
        return RunConfig.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(_format_validation_error(err)) from None


def _is_set(raw: dict, dotted: str) -> bool:
    node = raw
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _apply_preset(raw: dict) -> dict:
    """Fill in a named preset's settings (``--model bounded-mean``) wherever the user set nothing."""
    from vaelab.models.registry import get_entry

    name = (raw.get("model") or {}).get("name")
    if not isinstance(name, str):
        return raw
    entry = get_entry(name)
    missing = [f"{k}={_dump(v)}" for k, v in entry.settings.items() if not _is_set(raw, k)]
    return apply_overrides(raw, missing)


def _dump(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


def _parse_value(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def apply_overrides(raw: dict, overrides: Iterable[str]) -> dict:
    """Apply ``section.key=value`` strings (values parsed as YAML) to a nested dict copy."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in raw.items()}
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override '{item}' is not of the form key=value (e.g. model.latent_dim=2)")
        key, _, text = item.partition("=")
        parts = key.strip().split(".")
        node = out
        for part in parts[:-1]:
            child = node.get(part)
            node[part] = dict(child) if isinstance(child, dict) else {}
            node = node[part]
        node[parts[-1]] = _parse_value(text)
    return out


def load_config(path: str | os.PathLike, overrides: Iterable[str] = ()) -> RunConfig:
    """Read a YAML config safely (no object construction) and validate it."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file '{path}' does not exist")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"config file '{path}' is not valid YAML: {err}") from None
    return make_config(raw, overrides)


def config_to_dict(config: RunConfig) -> dict:
    return config.model_dump(mode="json")


def save_config(config: RunConfig, path: str | os.PathLike) -> None:
    from vaelab.fileio import atomic_write_text

    atomic_write_text(path, yaml.safe_dump(config_to_dict(config), sort_keys=False))
