"""Build, validate, load and save :class:`RunConfig` objects with readable errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

import yaml
from pydantic import BaseModel, ValidationError

from vaelab.config.schema import RunConfig
from vaelab.config.variants import apply_variant, check_kl_term
from vaelab.errors import ConfigError, did_you_mean, format_validation_error

# Sections whose fields are free-form dictionaries (validated by the dataset or model).
_FREE_FORM = {"options"}


def _section_fields(model: type[BaseModel]) -> dict[str, Any]:
    return dict(model.model_fields)


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
                f"unknown config key '{prefix}{key}'.{did_you_mean(str(key), fields)} "
                f"Valid keys {where}: {', '.join(sorted(fields))}"
            )
        annotation = fields[key].annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) and key not in _FREE_FORM:
            _check_keys(value if value is not None else {}, annotation, f"{prefix}{key}.")


def make_config(raw: dict | RunConfig | None = None, overrides: Iterable[str] = (), *,
                saved_run: bool = False) -> RunConfig:
    """Validate a (possibly partial) nested dict plus ``key=value`` overrides into a RunConfig.

    The named model's preset settings fill in what is unset and ``model.options`` is
    validated against the variant's typed options (defaults filled in). ``saved_run``
    reads the config.yaml of an existing run: old option names are read silently and a
    KL schedule on a model without a KL term (ignored when it trained) is not rejected.
    """
    if isinstance(raw, RunConfig):
        raw = config_to_dict(raw)
    raw = dict(raw or {})
    raw = apply_overrides(raw, overrides)
    _check_keys(raw, RunConfig)
    raw = apply_variant(raw, saved_run=saved_run)
    try:
        cfg = RunConfig.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(format_validation_error(err)) from None
    if not saved_run:
        check_kl_term(cfg)
    return cfg


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
        set_dotted(out, key.strip(), _parse_value(text))
    return out


def set_dotted(raw: dict, key: str, value: Any) -> None:
    """``raw[a][b][c] = value`` for ``key="a.b.c"``, copying the nested dicts on the way (the caller's stay as they are)."""
    parts = key.split(".")
    node = raw
    for part in parts[:-1]:
        child = node.get(part)
        node[part] = dict(child) if isinstance(child, dict) else {}
        node = node[part]
    node[parts[-1]] = value


class _StrictLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (YAML would keep the last silently)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ConfigError(f"key '{key}' appears twice in one mapping (line {key_node.start_mark.line + 1}); "
                                  "keep one")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


#: config files larger than this are refused before parsing (a config is a few hundred bytes)
MAX_CONFIG_BYTES = 1_000_000


def read_yaml_config(path: Path) -> dict:
    """The mapping in a YAML config file; one ConfigError for a missing, huge, binary, non-UTF-8 or malformed file."""
    if path.is_dir():
        raise ConfigError(f"config file '{path}' is a folder; pass the YAML file inside it")
    if not path.is_file():
        raise ConfigError(f"config file '{path}' does not exist")
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise ConfigError(f"config file '{path}' is {path.stat().st_size:,} bytes, more than a config holds "
                          f"({MAX_CONFIG_BYTES:,}); pass the YAML config file")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"config file '{path}' is not UTF-8 text (byte {err.start}); pass a YAML file") from None
    try:
        raw = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass: no object construction)
    except yaml.YAMLError as err:
        first = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
        raise ConfigError(f"config file '{path}' is not valid YAML ({first}); fix the line it names") from None
    except ConfigError as err:
        raise ConfigError(f"config file '{path}': {err}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"config file '{path}' holds a {type(raw).__name__}, not a mapping of sections "
                          "(data:, model:, train:, ...)")
    return raw


def load_config(path: str | os.PathLike, overrides: Iterable[str] = (), *, saved_run: bool = False) -> RunConfig:
    """Read a YAML config safely (no object construction) and validate it (``saved_run``: see :func:`make_config`)."""
    raw = read_yaml_config(Path(path))
    try:
        return make_config(raw, overrides, saved_run=saved_run)
    except ConfigError as err:
        if not saved_run:  # the user's own file: the key names the problem
            raise
        raise ConfigError(f"{path}: {err}; this run's config was edited or damaged: restore it") from None


def config_to_dict(config: RunConfig) -> dict:
    return config.model_dump(mode="json")


def save_config(config: RunConfig, path: str | os.PathLike) -> None:
    from vaelab.fileio import atomic_write_text

    atomic_write_text(path, yaml.safe_dump(config_to_dict(config), sort_keys=False))
