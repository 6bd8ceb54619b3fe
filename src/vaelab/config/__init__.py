"""Typed, validated run configuration: schema, YAML load/save, ``key=value`` overrides."""

from vaelab.config.io import apply_overrides, config_to_dict, load_config, make_config, save_config
from vaelab.config.schema import (
    DataConfig,
    KLScheduleConfig,
    ModelConfig,
    OptimConfig,
    RunConfig,
    TrainConfig,
)

__all__ = [
    "DataConfig",
    "KLScheduleConfig",
    "ModelConfig",
    "OptimConfig",
    "RunConfig",
    "TrainConfig",
    "apply_overrides",
    "config_to_dict",
    "load_config",
    "make_config",
    "save_config",
]
