"""Model registry: name -> variant class."""

from __future__ import annotations

from vaelab.errors import ConfigError

MODELS: dict[str, type] = {}
DESCRIPTIONS: dict[str, str] = {}


def register_model(name: str, description: str):
    def wrap(cls):
        cls.name = name
        MODELS[name] = cls
        DESCRIPTIONS[name] = description
        return cls

    return wrap


def get_model_class(name: str) -> type:
    _ensure_builtin()
    if name not in MODELS:
        raise ConfigError(f"config key 'model.name': unknown model '{name}'. "
                          f"Available: {', '.join(sorted(MODELS))} (see `vaelab models`)")
    return MODELS[name]


def model_table() -> list[dict[str, str]]:
    _ensure_builtin()
    return [{"name": n, "description": DESCRIPTIONS[n]} for n in sorted(MODELS)]


def _ensure_builtin() -> None:
    from vaelab.models import vae  # noqa: F401
