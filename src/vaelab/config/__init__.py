"""Typed, validated run configuration: schema, YAML load/save, ``key=value`` overrides."""

from vaelab.lazy import lazy_exports

#: public name -> the submodule that defines it, imported on first use
_NAMES = {
    "apply_overrides": "io",
    "config_to_dict": "io",
    "load_config": "io",
    "make_config": "io",
    "save_config": "io",
    "DataConfig": "schema",
    "KLScheduleConfig": "schema",
    "ModelConfig": "schema",
    "OptimConfig": "schema",
    "RunConfig": "schema",
    "TrainConfig": "schema",
}

__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_exports(__name__, _NAMES)
