"""Model registry: variant classes (an objective each) and presets (named settings over one).

``vaelab train --model NAME`` accepts both. A preset such as ``bounded-mean`` is a
variant plus config values (``model.posterior=bounded-gaussian``, ...); values the user
sets explicitly win over the preset's. A variant's options (``model.options``) are a
typed :class:`~vaelab.models.options.VariantOptions` model registered with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from vaelab.models.options import VariantOptions, option_rows
from vaelab.errors import ConfigError, unknown_name

OPTION_PREFIX = "model.options."


@dataclass
class ModelEntry:
    name: str
    description: str
    source: str
    base: str  # the variant class's registry name (itself for a variant)
    settings: dict[str, Any] = field(default_factory=dict)  # dotted config keys -> values (presets)

    @property
    def options(self) -> type[VariantOptions]:
        """The variant's typed options (``model.options``)."""
        return MODELS[self.base].options_model

    @property
    def option_settings(self) -> dict[str, Any]:
        """The ``model.options`` values this entry sets over the variant's defaults (a preset's)."""
        return {k.removeprefix(OPTION_PREFIX): v for k, v in self.settings.items() if k.startswith(OPTION_PREFIX)}


MODELS: dict[str, type] = {}
ENTRIES: dict[str, ModelEntry] = {}


def register_model(name: str, description: str, source: str, settings: dict[str, Any] | None = None,
                   options: type[VariantOptions] | None = None):
    """Class decorator: register a variant (a subclass of LatentVariableModel) under ``name``.

    ``settings`` are config values the variant needs by default (dotted keys, e.g. its
    posterior), filled in like a preset's wherever the user set nothing. ``options`` is
    the variant's typed ``model.options`` (default: the parent class's, none for a base).
    """

    def wrap(cls):
        cls.name = name
        if options is not None:
            cls.options_model = options
        MODELS[name] = cls
        ENTRIES[name] = ModelEntry(name, description, source, name, dict(settings or {}))
        return cls

    return wrap


def register_preset(name: str, base: str, settings: dict[str, Any], description: str, source: str) -> None:
    """Register ``name`` as the variant ``base`` with config ``settings`` (dotted keys) over the variant's own."""
    ENTRIES[name] = ModelEntry(name, description, source, base, {**ENTRIES[base].settings, **settings})


def get_entry(name: str) -> ModelEntry:
    _ensure_builtin()
    if name not in ENTRIES:
        raise ConfigError("config key 'model.name': " + unknown_name("model", name, ENTRIES, see="vaelab models"))
    return ENTRIES[name]


def get_model_class(name: str) -> type:
    return MODELS[get_entry(name).base]


def describe_options(name: str) -> list[dict[str, Any]]:
    """The options of model ``name`` (a variant or a preset): ``name``, ``default``, ``type``, ``help`` each.

    A preset's defaults are its own settings (``ae``: ``code_weight`` 0), else the variant's.
    """
    entry = get_entry(name)
    return option_rows(entry.options, entry.option_settings)


def options_text(name: str, code: bool = False) -> str:
    """``rec=auto, code_weight=0.0001, ...``: model ``name``'s options with their defaults ("" for none).

    ``code`` puts each in backticks (Markdown).
    """
    quote = (lambda t: f"`{t}`") if code else (lambda t: t)  # noqa: E731
    return ", ".join(quote(f"{o['name']}={_text(o['default'])}") for o in describe_options(name))


def _text(value) -> str:
    return json.dumps(value) if value is None or isinstance(value, (bool, list)) else str(value)


def _options_cell(entry: ModelEntry, code: bool = False) -> str:
    """A variant's options with defaults; for a preset a pointer to its variant's (its own values are settings)."""
    if entry.base == entry.name:
        return options_text(entry.name, code)
    return f"as {f'`{entry.base}`' if code else entry.base}" if entry.options.model_fields else ""


def _settings_text(entry: ModelEntry) -> str:
    return ", ".join(f"{k}={v}" for k, v in entry.settings.items())


def model_table() -> list[dict[str, str]]:
    """One row per model: ``name``, ``description``, ``source``, preset ``settings``, ``options`` with defaults."""
    _ensure_builtin()
    return [{"name": e.name, "description": e.description, "source": e.source, "settings": _settings_text(e),
             "options": _options_cell(e)} for e in ENTRIES.values()]


def markdown_table() -> str:
    """The model table as Markdown (README; ``vaelab models --markdown``)."""
    _ensure_builtin()
    lines = ["| `--model` | what it is | source | preset settings | `model.options` (default) |",
             "| --- | --- | --- | --- | --- |"]
    for e in ENTRIES.values():
        lines.append(f"| `{e.name}` | {e.description} | {e.source} | {_settings_text(e) or '(variant)'} "
                     f"| {_options_cell(e, code=True)} |")
    return "\n".join(lines)


def _ensure_builtin() -> None:
    from vaelab.models import presets  # noqa: F401  (imports every variant, then registers presets)
