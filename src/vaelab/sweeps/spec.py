"""A sweep file, expanded into trials: validated configs with names that follow from their values.

A sweep file is YAML with these top-level keys::

    base: {data: {name: mnist5k}, train: {epochs: 20}}   # a config mapping, or a path to a config file
    grid:  {kl_schedule.end: [0.5, 1.0], model.latent_dim: [2, 16]}    # every combination (end: the final beta)
    zip:   {model.hidden: [[200], [400]], model.decoder_hidden: [[200], [400]]}   # stepped together
    seeds: 2                       # or a list such as [0, 7]: every trial once per seed (train.seed)
    search: {optim.lr: {loguniform: [1.0e-4, 1.0e-2]}, model.name: {choice: [vae, iwae]}}
    arms: {vae: {model.name: vae}, beta-0.5: {model.name: beta-vae, kl_schedule.end: 0.5}}   # named settings
    num_samples: 4                 # draws of the search space (seeded by search_seed, default 0)
    executor: local                # or ray (Ray Tune), or vectorized (groups trained as ensembles);
                                   # `vaelab sweep --executor` overrides it
    ray: {search: optuna, scheduler: asha, metric: valid_loss}   # options of the ray executor (RAY_KEYS)

Every trial's config is validated (:func:`vaelab.config.make_config`) while the sweep is
expanded, so a bad key fails at once with the same line as ``vaelab train``, naming the
trial.
"""

from __future__ import annotations

import copy
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
SWEEP_KEYS = ("base", "arms", "grid", "zip", "seeds", "search", "num_samples", "search_seed", "evaluate",
              "executor", "ray")
#: the varied value that names a trial's arm (``arms:``); not a config key
ARM = "arm"
#: the executors a sweep can run on
EXECUTORS = ("local", "ray", "vectorized")
#: the keys of a sweep's ``ray:`` mapping, with their defaults
RAY_DEFAULTS = {"search": "random", "scheduler": "fifo", "metric": "valid_loss", "mode": "min", "address": None,
                "cpus_per_trial": 1, "max_concurrent": None, "grace_period": 1, "reduction_factor": 2}
#: per-epoch record fields besides ``train_*`` and ``valid_*`` that ``ray.metric`` may name
RECORD_FIELDS = ("epoch", "beta", "lr", "epoch_time_s")
#: the sampled distributions of ``search:``
DISTRIBUTIONS = ("uniform", "loguniform", "choice")


@dataclass(frozen=True)
class Trial:
    """One run of a sweep: its name, the values it varies (dotted key -> value) and its validated config."""

    name: str
    varied: dict[str, Any]
    config: RunConfig = field(repr=False)


@dataclass(frozen=True)
class RayOptions:
    """The ``ray:`` mapping of a sweep, checked: see :data:`RAY_DEFAULTS` and ``docs/sweeps.md``."""

    search: str = "random"
    scheduler: str = "fifo"
    metric: str = "valid_loss"
    mode: str = "min"
    address: str | None = None
    cpus_per_trial: int = 1
    max_concurrent: int | None = None
    grace_period: int = 1
    reduction_factor: int = 2


@dataclass(frozen=True)
class Plan:
    """What a sweep will run: its executor, its trials (None when Optuna draws them as it goes), its Ray options."""

    executor: str
    trials: list[Trial] | None
    ray: RayOptions | None = None


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
    arms = _arms(sweep.get("arms"))
    if arms is None:
        names = _names(points)
        return [Trial(name, point, _config(base, point, name)) for name, point in zip(names, points)]
    rest = _names(points) if points[0] else [""] * len(points)
    trials = []
    for label, settings in arms.items():
        for point, suffix in zip(points, rest):
            name = f"{label}_{suffix}" if suffix else label
            full = {ARM: label, **settings, **point}
            trials.append(Trial(name, full, _config(base, full, name)))
    return trials


def _arms(spec) -> dict[str, dict] | None:
    """``arms:``: trial labels, each with its own settings (dotted config keys), crossed with the rest."""
    if spec is None:
        return None
    if not isinstance(spec, dict) or not spec or not all(isinstance(v, dict) for v in spec.values()):
        raise ConfigError("sweep 'arms' must map names to settings, e.g. "
                          "arms: {vae: {model.name: vae}, iwae-5: {model.name: iwae, model.options.k: 5}}")
    bad = [label for label in spec if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.+-]*", str(label))]
    if bad:
        raise ConfigError(f"sweep 'arms': the name '{bad[0]}' must be letters, digits, '.', '+' or '-' "
                          "(it names a folder)")
    return {str(label): dict(settings) for label, settings in spec.items()}


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
    raw = copy.deepcopy(base)
    for key, value in point.items():
        if key != ARM:
            set_dotted(raw, key, value)
    try:
        return make_config(raw)
    except ConfigError as err:
        raise ConfigError(f"sweep trial '{name}': {err}") from None


def plan_sweep(sweep: dict, executor: str | None = None, ray_address: str | None = None,
               workers: int | None = None) -> Plan:
    """Check the whole sweep (executor, ``ray:`` options, every trial) before anything runs.

    ``executor`` and ``ray_address`` (the command line's) override the file's; with the ray
    executor ``workers`` caps the trials at once (``ray.max_concurrent``). Under
    ``ray: {search: optuna}`` the trials are drawn while the sweep runs, so only the space is
    checked here.
    """
    executor = executor or sweep.get("executor") or "local"
    if executor not in EXECUTORS:
        raise ConfigError(f"sweep 'executor' must be one of {', '.join(EXECUTORS)}, got {executor!r}."
                          f"{did_you_mean(str(executor), EXECUTORS)}")
    if executor != "ray":
        if ray_address:
            raise ConfigError("--ray-address is for the ray executor: add --executor ray (or executor: ray)")
        return Plan(executor, expand(sweep))
    options = ray_options(sweep.get("ray"), ray_address, workers)
    if options.search == "optuna":
        check_optuna_space(sweep)
        return Plan(executor, None, options)
    return Plan(executor, expand(sweep), options)


def ray_options(raw, address: str | None = None, workers: int | None = None) -> RayOptions:
    """The ``ray:`` mapping checked against :data:`RAY_DEFAULTS`; ``address``/``workers`` from the command line win."""
    if raw is not None and not isinstance(raw, dict):
        raise ConfigError("sweep key 'ray' must be a mapping, e.g. ray: {search: optuna, scheduler: asha}")
    raw = dict(raw or {})
    unknown = [k for k in raw if k not in RAY_DEFAULTS]
    if unknown:
        raise ConfigError(f"sweep 'ray': unknown key '{unknown[0]}'.{did_you_mean(unknown[0], RAY_DEFAULTS)} "
                          f"Valid keys: {', '.join(RAY_DEFAULTS)}")
    opts = {**RAY_DEFAULTS, **raw}
    opts["address"] = address or opts["address"]
    opts["max_concurrent"] = workers or opts["max_concurrent"]
    for key, valid in (("search", ("random", "optuna")), ("scheduler", ("fifo", "asha")), ("mode", ("min", "max"))):
        if opts[key] not in valid:
            raise ConfigError(f"sweep 'ray.{key}' must be one of {', '.join(valid)}, got {opts[key]!r}."
                              f"{did_you_mean(str(opts[key]), valid)}")
    for key in ("cpus_per_trial", "max_concurrent", "grace_period", "reduction_factor"):
        value = opts[key]
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1
                                  or (key == "reduction_factor" and value < 2)):
            raise ConfigError(f"sweep 'ray.{key}' must be a whole number >= {2 if key == 'reduction_factor' else 1}, "
                              f"got {value!r}")
    metric = opts["metric"]
    if not isinstance(metric, str) or not (metric in RECORD_FIELDS or metric.startswith(("train_", "valid_"))):
        raise ConfigError(f"sweep 'ray.metric' must name a field of the per-epoch record (metrics.jsonl), such as "
                          f"valid_loss, valid_neg_elbo or train_loss; got {metric!r}")
    if opts["address"] is not None and not isinstance(opts["address"], str):
        raise ConfigError(f"sweep 'ray.address' must be a Ray address such as auto or 10.0.0.5:6379, got "
                          f"{opts['address']!r}")
    return RayOptions(**opts)


def check_optuna_space(sweep: dict) -> None:
    """``ray: {search: optuna}`` draws from ``search:`` alone (``num_samples`` times): check the space and one point."""
    clash = [k for k in ("arms", "grid", "zip", "seeds") if sweep.get(k) is not None]
    if clash:
        raise ConfigError(f"sweep 'ray.search: optuna' draws every trial from 'search:'; it does not combine with "
                          f"'{clash[0]}' (put fixed values in 'base', or drop 'search: optuna' to run the expanded "
                          "trials)")
    if sweep.get("search") is None:
        raise ConfigError("sweep 'ray.search: optuna' needs a 'search:' space, e.g. "
                          "search: {optim.lr: {loguniform: [1.0e-4, 1.0e-2]}}")
    expand(sweep)  # the space's shape, num_samples, and the configs of a seeded draw


def trial_at(base: dict, point: dict) -> Trial:
    """The trial of one point (dotted key -> value) drawn while a sweep runs: named like :func:`expand` names it.

    Raises ConfigError naming the trial when the point's config is invalid.
    """
    name = _names([point])[0]
    return Trial(name, dict(point), _config(base or {}, point, name))


def trial_name(point: dict) -> str:
    """The name :func:`trial_at` gives ``point``, without building its config."""
    return _names([point])[0]
