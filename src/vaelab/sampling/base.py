"""The sampler interface, the registry of samplers by name, and option checking.

A sampler draws latent codes z (n, d). ``prior`` draws from the model's p(z); the
others are *ex-post density estimates* (Ghosh et al. 2020, sec. 4): a density fitted
to the posterior means of the training split after training, so that models without
a usable prior (deterministic autoencoders), or VAEs whose aggregate posterior
misses the prior (Dai & Wipf 2019), can be sampled too.
"""

from __future__ import annotations

import importlib
import json
import numbers
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from vaelab.errors import ConfigError, did_you_mean, unknown_name
from vaelab.sampling.catalogue import CATALOGUE

#: name -> sampler class; ``vaelab sample --sampler NAME`` and the error messages list these
SAMPLERS: dict[str, type["Sampler"]] = {}


def register_sampler(cls: type["Sampler"]) -> type["Sampler"]:
    """Class decorator: make ``cls`` available as ``SAMPLERS[cls.name]``, described by its catalogue entry."""
    info = CATALOGUE[cls.name]
    cls.description, cls.source = info.description, info.source
    SAMPLERS[cls.name] = cls
    return cls


def load_samplers() -> dict[str, type["Sampler"]]:
    """Every sampler of the catalogue, registered in catalogue order: :data:`SAMPLERS`."""
    for info in CATALOGUE.values():
        importlib.import_module(f"vaelab.sampling.{info.module}")
    return {name: SAMPLERS[name] for name in CATALOGUE}


def sampler_class(name: str) -> type["Sampler"]:
    """The sampler registered as ``name``, or a ConfigError listing the names."""
    load_samplers()
    if name not in SAMPLERS:
        raise ConfigError(unknown_name("sampler", name, CATALOGUE, listing="Choose one of", sort=False))
    return SAMPLERS[name]


class Sampler:
    """Draws codes z (n, d) on the run's device; ``sample(n, seed)`` is reproducible for a given seed.

    A fitted sampler keeps only plain arrays (:meth:`state`), saved to
    ``RUN_DIR/samplers/<name>/params.safetensors`` and restored by :meth:`from_state`,
    so loading one never needs scikit-learn objects or pickle.
    """

    name: ClassVar[str] = "base"
    description: ClassVar[str] = ""
    source: ClassVar[str] = ""
    #: options (``--option KEY=VALUE``) and their defaults; the defaults' types are the allowed types
    option_defaults: ClassVar[dict] = {}
    #: False for samplers that need no fit (the prior)
    needs_fit: ClassVar[bool] = True

    def __init__(self, options: dict, device: torch.device):
        self.options, self.device = dict(options), torch.device(device)
        self.info: dict = {}  # the sampler.json record (set by fitted_sampler)
        self.fitted_now = False  # True when fitted_sampler fitted it rather than loading it

    @classmethod
    def check_options(cls, options: dict) -> None:
        """Raise ValueError for values the sampler cannot use (types are checked already)."""

    @classmethod
    def fit(cls, codes: np.ndarray, options: dict, folder: Path, device, progress: bool = True) -> "Sampler":
        """Fit to codes (N, d) float64; ``folder`` may hold files beyond the arrays (a nested run)."""
        raise NotImplementedError

    def state(self) -> dict[str, np.ndarray]:
        """The arrays that define the fitted sampler."""
        return {}

    @classmethod
    def from_state(cls, arrays: dict[str, np.ndarray], options: dict, folder: Path, device) -> "Sampler":
        raise NotImplementedError

    def summary(self) -> dict:
        """A few JSON-able facts about the fit (stored in sampler.json, printed by the CLI)."""
        return {}

    def draw(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """n codes (n, d) from ``generator`` (a CPU generator unless the sampler says otherwise)."""
        raise NotImplementedError

    def generator(self, seed: int) -> torch.Generator:
        return torch.Generator().manual_seed(seed)

    def sample(self, n: int, seed: int | None = None) -> torch.Tensor:
        """n codes (n, d), float32 on the run's device. Same seed, same codes; None draws a fresh seed."""
        if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1:
            raise ConfigError(f"the number of samples must be a positive integer, got {n!r}")
        if seed is None:
            seed = int(torch.randint(0, 2**62, (1,)).item())
        z = self.draw(int(n), self.generator(int(seed)))  # (n, d)
        return z.to(self.device, torch.float32)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.options})"


# ---------------------------------------------------------------- options

def _type_ok(value, default) -> bool:
    """A value fits a default's type: bool is not a number, an int is a float, lists hold ints."""
    if default is None:
        return value is None or (isinstance(value, int) and not isinstance(value, bool))
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple)) and all(isinstance(v, int) and not isinstance(v, bool)
                                                        for v in value)
    return isinstance(value, type(default))


def _type_name(default) -> str:
    if default is None:
        return "an integer or null"
    if isinstance(default, (list, tuple)):
        return "a list of integers"
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(type(default), "")


def resolve_options(cls: type[Sampler], options: dict | None) -> dict:
    """The sampler's defaults updated with ``options``; unknown keys and wrong types are ConfigErrors."""
    options = dict(options or {})
    defaults = cls.option_defaults
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        hint = did_you_mean(unknown[0], defaults)
        valid = ", ".join(f"{k} (default {json.dumps(v)})" for k, v in defaults.items()) or "none"
        raise ConfigError(f"unknown option(s) {', '.join(unknown)} for sampler '{cls.name}'.{hint} "
                          f"Valid options: {valid}")
    for key, value in options.items():
        if not _type_ok(value, defaults[key]):
            raise ConfigError(f"sampler '{cls.name}' option {key}={value!r}: must be {_type_name(defaults[key])}")
    merged = {**defaults, **options}
    merged = {k: (float(v) if isinstance(defaults[k], float) else list(v) if isinstance(v, tuple) else v)
              for k, v in merged.items()}
    try:
        cls.check_options(merged)
    except ValueError as err:
        raise ConfigError(f"sampler '{cls.name}': {err}") from None
    return merged


def parse_options(items) -> dict:
    """``["components=5", "bayesian=true"]`` -> ``{"components": 5, "bayesian": True}``; values parsed as YAML."""
    import yaml

    out = {}
    for item in items or ():
        key, sep, text = str(item).partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"sampler option '{item}' is not of the form key=value (e.g. components=5)")
        try:
            out[key.strip()] = yaml.safe_load(text)
        except yaml.YAMLError:
            out[key.strip()] = text
    return out
