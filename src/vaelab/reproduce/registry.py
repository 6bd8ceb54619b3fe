"""The studies ``vaelab reproduce`` knows, by name (``vaelab reproduce --list``)."""

from __future__ import annotations

import importlib

from vaelab.errors import ConfigError, did_you_mean
from vaelab.reproduce.study import Study

#: study name -> the module under vaelab.reproduce.studies that defines ``STUDY``, in the issue's order
MODULES = {"bettencourt": "bettencourt", "nevae": "nevae", "rae": "rae", "bounded": "bounded", "anchors": "anchors",
           "iwae": "iwae", "molecules": "molecules"}
_LOADED: dict[str, Study] = {}


def get_study(name: str) -> Study:
    """The study ``name`` (its module imported on first use), or a ConfigError listing the studies."""
    if name not in MODULES:
        raise ConfigError(f"unknown study '{name}'.{did_you_mean(name, MODULES)} Studies: {', '.join(MODULES)} "
                          "(vaelab reproduce --list)")
    if name not in _LOADED:
        _LOADED[name] = importlib.import_module(f"vaelab.reproduce.studies.{MODULES[name]}").STUDY
    return _LOADED[name]


def all_studies() -> list[Study]:
    return [get_study(name) for name in MODULES]
