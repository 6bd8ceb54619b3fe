"""Packages whose public names load on first use (PEP 562), so light imports stay light.

``vaelab --help`` must not import torch or matplotlib: a package ``__init__`` that
imports its submodules eagerly would drag them in as soon as any submodule (a catalogue,
the shortcut table) is imported. Such packages list their names here instead::

    __getattr__, __dir__ = lazy_exports(__name__, {"load_config": "io", "RunConfig": "schema"})
"""

from __future__ import annotations

import importlib


def lazy_exports(package: str, names: dict[str, str]):
    """``(__getattr__, __dir__)`` for ``package``: ``name`` is imported from ``package.<names[name]>`` when asked."""

    def __getattr__(name: str):
        if name in names:
            return getattr(importlib.import_module(f"{package}.{names[name]}"), name)
        raise AttributeError(f"module '{package}' has no attribute '{name}'")

    def __dir__() -> list[str]:
        return sorted(names)

    return __getattr__, __dir__
