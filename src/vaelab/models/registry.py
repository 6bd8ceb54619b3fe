"""Model registry: variant classes (an objective each) and presets (named settings over one).

``vaelab train --model NAME`` accepts both. A preset such as ``bounded-mean`` is a
variant plus config values (``model.posterior=bounded-gaussian``, ...); values the user
sets explicitly win over the preset's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vaelab.errors import ConfigError


@dataclass
class ModelEntry:
    name: str
    description: str
    source: str
    base: str  # the variant class's registry name (itself for a variant)
    settings: dict[str, Any] = field(default_factory=dict)  # dotted config keys -> values (presets)


MODELS: dict[str, type] = {}
ENTRIES: dict[str, ModelEntry] = {}


def register_model(name: str, description: str, source: str, settings: dict[str, Any] | None = None):
    """Class decorator: register a variant (a subclass of LatentVariableModel) under ``name``.

    ``settings`` are config values the variant needs by default (dotted keys, e.g. its
    posterior), filled in like a preset's wherever the user set nothing.
    """

    def wrap(cls):
        cls.name = name
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
        raise ConfigError(f"config key 'model.name': unknown model '{name}'. "
                          f"Available: {', '.join(sorted(ENTRIES))} (see `vaelab models`)")
    return ENTRIES[name]


def get_model_class(name: str) -> type:
    return MODELS[get_entry(name).base]


def model_table() -> list[dict[str, str]]:
    _ensure_builtin()
    return [{"name": e.name, "description": e.description, "source": e.source,
             "settings": ", ".join(f"{k}={v}" for k, v in e.settings.items())} for e in ENTRIES.values()]


def markdown_table() -> str:
    """The model table as Markdown (README; ``vaelab models --markdown``)."""
    lines = ["| `--model` | what it is | source | preset settings |", "| --- | --- | --- | --- |"]
    for r in model_table():
        lines.append(f"| `{r['name']}` | {r['description']} | {r['source']} | {r['settings'] or '(variant)'} |")
    return "\n".join(lines)


def _ensure_builtin() -> None:
    from vaelab.models import presets  # noqa: F401  (imports every variant, then registers presets)
