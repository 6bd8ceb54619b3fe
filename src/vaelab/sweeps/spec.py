"""A sweep file, expanded into trials: validated configs with names that follow from their values.

A sweep file is YAML with these top-level keys::

    base: {data: {name: mnist5k}, train: {epochs: 20}}   # a config mapping, or a path to a config file
    grid:  {kl_schedule.end: [0.5, 1.0], model.latent_dim: [2, 16]}    # every combination (end: the final beta)
    zip:   {model.hidden: [[200], [400]], model.decoder_hidden: [[200], [400]]}   # stepped together
    seeds: 2                       # or a list such as [0, 7]: every trial once per seed (train.seed)
    search: {optim.lr: {loguniform: [1.0e-4, 1.0e-2]}, model.name: {choice: [vae, iwae]}}
    num_samples: 4                 # draws of the search space (seeded by search_seed, default 0)

Every trial's config is validated (:func:`vaelab.config.make_config`) while the sweep is
expanded, so a bad key fails at once with the same line as ``vaelab train``, naming the
trial.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vaelab.config import RunConfig, make_config
from vaelab.config.io import read_yaml_config, set_dotted
from vaelab.errors import ConfigError, did_you_mean

#: the keys a sweep file may hold at its top level
SWEEP_KEYS = ("base", "grid", "zip", "seeds", "search", "num_samples", "search_seed", "evaluate", "executor")
#: the sampled distributions of ``search:``
DISTRIBUTIONS = ("uniform", "loguniform", "choice")


@dataclass(frozen=True)
class Trial:
    """One run of a sweep: its name, the values it varies (dotted key -> value) and its validated config."""

    name: str
    varied: dict[str, Any]
    config: RunConfig = field(repr=False)


def load_sweep(path) -> dict:
    """The mapping of a sweep file (the strict YAML reader of config files), its keys checked."""
    raw = read_yaml_config(Path(path))
    unknown = [k for k in raw if k not in SWEEP_KEYS]
    if unknown:
        raise ConfigError(f"sweep file '{path}': unknown key '{unknown[0]}'.{did_you_mean(unknown[0], SWEEP_KEYS)} "
                          f"Valid keys: {', '.join(SWEEP_KEYS)}")
    if isinstance(raw.get("base"), str):  # a path to a config file, relative to the sweep file
        base = Path(raw["base"]).expanduser()
        raw["base"] = read_yaml_config(base if base.is_absolute() else Path(path).parent / base)
    return raw


def expand(sweep: dict) -> list[Trial]:
    """Every trial of ``sweep`` (grid x zip x search draws x seeds), each validated; names are unique."""
    base = sweep.get("base") or {}
    if not isinstance(base, dict):
        raise ConfigError("sweep key 'base' must be a config mapping or the path of a config file")
    points = [{**g, **z, **s} for g in _grid(sweep.get("grid")) for z in _zip(sweep.get("zip"))
              for s in _search(sweep.get("search"), sweep.get("num_samples"), sweep.get("search_seed", 0))]
    seeds = _seeds(sweep.get("seeds"))
    if seeds is not None:
        points = [{**p, "train.seed": seed} for p in points for seed in seeds]
    names = _names(points)
    return [Trial(name, point, _config(base, point, name)) for name, point in zip(names, points)]


def _grid(grid) -> list[dict]:
    lists = _lists(grid, "grid")
    return [dict(zip(lists, values)) for values in itertools.product(*lists.values())]


def _zip(spec) -> list[dict]:
    lists = _lists(spec, "zip")
    lengths = {len(v) for v in lists.values()}
    if len(lengths) > 1:
        raise ConfigError(f"sweep 'zip': its lists step together and must have one length; got "
                          f"{', '.join(f'{k}: {len(v)}' for k, v in lists.items())}")
    return [dict(zip(lists, values)) for values in zip(*lists.values())] if lists else [{}]


def _lists(spec, what: str) -> dict[str, list]:
    if spec is None:
        return {}
    if not isinstance(spec, dict) or not all(isinstance(v, list) and v for v in spec.values()):
        raise ConfigError(f"sweep '{what}' must map config keys to non-empty lists, e.g. "
                          f"{what}: {{model.latent_dim: [2, 16]}}")
    return spec


def _seeds(seeds) -> list[int] | None:
    if seeds is None:
        return None
    if isinstance(seeds, int) and not isinstance(seeds, bool) and seeds >= 1:
        return list(range(seeds))
    if isinstance(seeds, list) and seeds and all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
        return seeds
    raise ConfigError(f"sweep 'seeds' must be a count >= 1 or a list of whole numbers, got {seeds!r}")


def _search(space, num_samples, seed) -> list[dict]:
    """``num_samples`` draws of the sampled space, from a generator seeded by ``search_seed``."""
    if space is None:
        return [{}]
    if not isinstance(space, dict) or not space:
        raise ConfigError("sweep 'search' must map config keys to a distribution, e.g. "
                          "search: {optim.lr: {loguniform: [1.0e-4, 1.0e-2]}}")
    if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples < 1:
        raise ConfigError(f"sweep 'search' needs num_samples, a count >= 1 (got {num_samples!r})")
    import numpy as np

    rng = np.random.default_rng(seed)
    return [{key: _draw(key, dist, rng) for key, dist in space.items()} for _ in range(num_samples)]


def _draw(key: str, dist, rng) -> Any:
    if not isinstance(dist, dict) or len(dist) != 1 or next(iter(dist)) not in DISTRIBUTIONS:
        raise ConfigError(f"sweep 'search.{key}' must be one of {', '.join(DISTRIBUTIONS)}, e.g. "
                          "{uniform: [0.1, 1.0]}")
    kind, args = next(iter(dist.items()))
    if kind == "choice":
        if not isinstance(args, list) or not args:
            raise ConfigError(f"sweep 'search.{key}.choice' must be a non-empty list")
        return args[int(rng.integers(len(args)))]
    if not (isinstance(args, list) and len(args) == 2 and all(isinstance(a, (int, float)) for a in args)
            and args[0] < args[1] and (kind == "uniform" or args[0] > 0)):
        raise ConfigError(f"sweep 'search.{key}.{kind}' must be [low, high] with low < high"
                          f"{' and low > 0' if kind == 'loguniform' else ''}, got {args!r}")
    low, high = float(args[0]), float(args[1])
    if kind == "uniform":
        return float(rng.uniform(low, high))
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def _names(points: list[dict]) -> list[str]:
    """``latent_dim-2_beta-0.5_seed-0``: the varied values in order; the full key where last parts clash."""
    if not points or not points[0]:
        return ["trial"] * len(points) if len(points) <= 1 else [f"trial-{i}" for i in range(len(points))]
    keys = list(points[0])
    last = [k.split(".")[-1] for k in keys]
    labels = [k if last.count(k.split(".")[-1]) > 1 else k.split(".")[-1] for k in keys]
    names = ["_".join(f"{label}-{_text(p[k])}" for label, k in zip(labels, keys)) for p in points]
    if len(set(names)) < len(names):  # equal values drawn twice by a search: number them
        names = [f"{n}_{i}" for i, n in enumerate(names)]
    return names


def _text(value) -> str:
    """A value as it appears in a folder name: short, no characters a file system or shell dislikes."""
    text = f"{value:.4g}" if isinstance(value, float) else str(value)
    return re.sub(r"[^A-Za-z0-9.+-]+", "", text.replace(", ", "x")) or "none"


def _config(base: dict, point: dict, name: str) -> RunConfig:
    raw = dict(base)
    for key, value in point.items():
        set_dotted(raw, key, value)
    try:
        return make_config(raw)
    except ConfigError as err:
        raise ConfigError(f"sweep trial '{name}': {err}") from None
