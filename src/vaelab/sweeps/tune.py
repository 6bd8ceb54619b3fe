"""The ``ray`` executor: a sweep's trials through Ray Tune, on a local Ray instance or a cluster.

Each trial is a Tune trial whose function trainable trains it with vaelab's trainer
(:func:`vaelab.sweeps.trial.train_trial`) into ``SWEEP_DIR/runs/<trial>/`` and reports
every epoch's numeric record fields to Tune, so Tune's own searchers and schedulers
work on vaelab's metrics:

- by default Tune runs exactly the trials the sweep expands to (a grid search over their
  names); finished ones are skipped before Ray starts, interrupted ones resume;
- ``ray: {search: optuna}`` draws ``num_samples`` points of ``search:`` with Ray Tune's
  ``OptunaSearch``; a re-run tells Optuna the trials that are over and resumes the rest;
- ``ray: {scheduler: asha}`` stops poor trials early with Tune's ASHA on ``ray.metric``;
  a stopped trial is marked (:data:`vaelab.sweeps.results.STOPPED`) and not resumed.

Ray is optional (``pip install 'vaelab[ray]'``) and imported only here, only when used.
Its console output is off: the rows of ``results.csv`` say how each trial went, and
Ray's own files go to ``SWEEP_DIR/.ray/``. On a cluster, ``SWEEP_DIR`` must be on a file
system every node sees at the same path.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

from vaelab.config.io import read_yaml_config
from vaelab.errors import ConfigError
from vaelab.fileio import read_jsonl
from vaelab.rundir.layout import RunLayout
from vaelab.sweeps.results import mark_stopped, row, state_of, stopped_by, trial_dir
from vaelab.sweeps.spec import Plan, RayOptions, Trial, trial_at, trial_name
from vaelab.sweeps.trial import internal_error, train_trial

#: what a sweep says when Ray Tune is not installed
INSTALL = "the ray executor needs Ray Tune: pip install 'vaelab[ray]'"


class TrialFailed(Exception):
    """A trial's one-line error, raised in its trainable so that Tune records the trial as errored."""


def import_tune():
    """``ray`` and ``ray.tune``, or the ConfigError saying how to install them."""
    try:
        import ray
        from ray import tune
    except ImportError:
        raise ConfigError(INSTALL) from None
    return ray, tune


# -- in the trial's worker --------------------------------------------------------------

def numeric(record: dict) -> dict:
    """The fields of an epoch record that Tune can compare: numbers, not lists or flags."""
    return {k: v for k, v in record.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


class TuneReport:
    """Trainer callback: each epoch's numeric record to Ray Tune, checked once for the sweep's metric."""

    def __init__(self, metric: str):
        self.metric = metric

    def on_epoch(self, record: dict) -> None:
        from ray import tune

        metrics = numeric(record)
        if self.metric not in metrics:
            raise ConfigError(f"sweep 'ray.metric': '{self.metric}' is not in this run's per-epoch record; it has "
                              f"{', '.join(sorted(metrics))}")
        tune.report(metrics)


def replay(run_dir: Path, metric: str) -> None:
    """Report a finished trial's recorded epochs again (a searcher drew its point twice): no second training."""
    for record in read_jsonl(RunLayout(run_dir).metrics):
        TuneReport(metric).on_epoch(record)


def trainable(point: dict, *, runs: str, configs: dict | None, base: dict | None, metric: str, threads: int) -> None:
    """Ray Tune function trainable: train one trial into ``runs/<name>``, reporting each epoch.

    ``point`` is Tune's config: ``{"trial": name}`` when the trials were expanded up front
    (``configs`` maps names to configs), or the values Optuna drew (built on ``base``).
    A trial's error is raised as :class:`TrialFailed` with its one line.
    """
    if configs is not None:
        name, config = point["trial"], configs[point["trial"]]
    else:
        try:
            trial = trial_at(base, dict(point))
        except ConfigError as err:
            raise TrialFailed(str(err)) from None
        name, config = trial.name, trial.config.model_dump(mode="json")
    run_dir = Path(runs) / name
    state = state_of(run_dir)
    if state == "finished":
        return replay(run_dir, metric)
    error = train_trial(config, str(run_dir), state == "resume", threads, [TuneReport(metric)])
    if error:
        raise TrialFailed(error)


# -- on the driver ----------------------------------------------------------------------

@contextmanager
def quiet_ray() -> Iterator[None]:
    """Ray's console output off while a sweep runs: its progress tables, notices and per-trial tracebacks.

    results.csv keeps each trial's status and error line; Ray's logs stay in its session folder.
    """
    saved_env = os.environ.get("RAY_AIR_NEW_OUTPUT")
    loggers = {name: logging.getLogger(name) for name in ("ray", "ray.tune", "optuna")}  # optuna: see _run_optuna
    saved = {name: lg.level for name, lg in loggers.items()}
    os.environ["RAY_AIR_NEW_OUTPUT"] = "0"  # the older reporter honours verbose=0; the new one prints a table
    loggers["ray"].setLevel(logging.ERROR)
    loggers["ray.tune"].setLevel(logging.CRITICAL)  # "Trial task failed" tracebacks: the row has the line
    try:
        yield
    finally:
        for name, lg in loggers.items():
            lg.setLevel(saved[name])
        if saved_env is None:
            os.environ.pop("RAY_AIR_NEW_OUTPUT", None)
        else:
            os.environ["RAY_AIR_NEW_OUTPUT"] = saved_env


@contextmanager
def ray_instance(address: str | None) -> Iterator[None]:
    """Ray for the sweep: the one already initialised, the cluster at ``address``, or a local instance.

    Only what this function started (or connected) is shut down (or disconnected) afterwards.
    """
    import ray

    if ray.is_initialized():
        yield
        return
    quiet = {"log_to_driver": False, "configure_logging": False}
    try:
        if address:
            ray.init(address=address, **quiet)
        else:
            ray.init(num_cpus=os.cpu_count(), include_dashboard=False, **quiet)
    except ConnectionError as err:
        raise ConfigError(f"cannot connect to the Ray cluster at '{address}' ({str(err).splitlines()[0]}); start "
                          "it with `ray start --head`, or leave out --ray-address for a local instance") from None
    try:
        yield
    finally:
        ray.shutdown()


def run_tune(plan: Plan, sweep: dict, out: Path) -> list[dict]:
    """Run the plan's unfinished trials on Ray Tune: one results row per trial."""
    _, tune = import_tune()
    out = Path(out).resolve()  # the trainables may run elsewhere: absolute paths only
    with quiet_ray(), ray_instance(plan.ray.address):
        if plan.trials is not None:
            return _run_expanded(tune, plan.trials, plan.ray, out)
        return _run_optuna(tune, sweep, plan.ray, out)


def _run_expanded(tune, trials: list[Trial], opts: RayOptions, out: Path) -> list[dict]:
    """The sweep's own trials (grid, zip, seeds, seeded random draws), as a Tune grid over their names."""
    pending = [t for t in trials if state_of(trial_dir(out, t)) != "finished"]
    errors: dict[str, str] = {}
    if pending:
        configs = {t.name: _portable(t.config) for t in pending}
        results = _fit(tune, opts, out, {"trial": tune.grid_search(list(configs))}, None, 1,
                       max(t.config.train.epochs for t in pending), configs=configs, base=None)
        errors = {r.config["trial"]: _error_line(r.error) for r in results if r.error}
    return [row(t, trial_dir(out, t), errors.get(t.name)) for t in trials]


def _run_optuna(tune, sweep: dict, opts: RayOptions, out: Path) -> list[dict]:
    """``num_samples`` trials drawn by Optuna; the trials of earlier runs of this sweep count towards them."""
    from ray.tune.search.optuna import OptunaSearch

    logging.getLogger("optuna").setLevel(logging.WARNING)  # set on import: "A new study created in memory"
    space = {key: _domain(tune, dist) for key, dist in sweep["search"].items()}
    earlier = _earlier_trials(out, list(space))
    over = [t for t in earlier if state_of(trial_dir(out, t)) == "finished"]
    resume = [t.varied for t in earlier if t not in over]
    # a continuation reseeds Optuna (search_seed + trials so far): the same seed would draw the same first points
    searcher = OptunaSearch(OptunaSearch.convert_search_space(space), metric=opts.metric, mode=opts.mode,
                            seed=sweep.get("search_seed", 0) + len(earlier), points_to_evaluate=resume or None)
    for t in over:  # Optuna learns from the trials that are over instead of drawing them again
        values = [r[opts.metric] for r in read_jsonl(RunLayout(trial_dir(out, t)).metrics) if opts.metric in r]
        if values:
            searcher.add_evaluated_point(t.varied, values[-1], pruned=stopped_by(trial_dir(out, t)) is not None,
                                         intermediate_values=values)
    remaining = max(0, sweep["num_samples"] - len(over))
    trials, errors = list(over), {}
    if remaining:
        base = _portable_base(sweep.get("base") or {})
        results = _fit(tune, opts, out, {}, searcher, remaining, _max_epochs(base, sweep["search"]),
                       configs=None, base=base)
        for r in results:
            point = dict(r.config)
            trials.append(Trial(trial_name(point), point, None))
            if r.error:
                errors[trials[-1].name] = _error_line(r.error)
    unique = list({t.name: t for t in trials}.values())  # a point drawn twice is one trial
    return [row(t, trial_dir(out, t), errors.get(t.name)) for t in unique]


def _fit(tune, opts: RayOptions, out: Path, param_space: dict, searcher, num_samples: int, max_epochs: int,
         **params):
    """One Tune experiment under ``SWEEP_DIR/.ray/``; its ResultGrid (trial errors are in it, never raised)."""
    runs = str(out / "runs")
    fn = tune.with_parameters(trainable, runs=runs, metric=opts.metric, threads=opts.cpus_per_trial, **params)
    scheduler = None
    if opts.scheduler == "asha":
        from ray.tune.schedulers import ASHAScheduler

        # time_attr "epoch", not Tune's report count: a resumed trial's first report is not its first epoch;
        # max_t one past the last epoch: ASHA stops a trial at max_t, which would cut it off before its summary
        scheduler = ASHAScheduler(time_attr="epoch", max_t=max_epochs + 1, grace_period=opts.grace_period,
                                  reduction_factor=opts.reduction_factor)
    tuner = tune.Tuner(
        tune.with_resources(fn, {"cpu": opts.cpus_per_trial}), param_space=param_space,
        tune_config=tune.TuneConfig(metric=opts.metric, mode=opts.mode, search_alg=searcher, scheduler=scheduler,
                                    num_samples=num_samples, max_concurrent_trials=opts.max_concurrent,
                                    trial_dirname_creator=_dirname, reuse_actors=True),
        run_config=tune.RunConfig(name=f"sweep-{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}",
                                  storage_path=str(out / ".ray"), verbose=0,
                                  callbacks=[_stop_marker(tune, runs, opts.scheduler)] if scheduler else None))
    return tuner.fit()


def _stop_marker(tune, runs: str, scheduler: str):
    """A Tune callback that marks the trials the scheduler stopped before they finished (see STOPPED)."""

    class MarkStopped(tune.Callback):
        def on_trial_complete(self, iteration, trials, trial, **info):
            run_dir = Path(runs) / _name_of(trial.config)
            if state_of(run_dir) == "resume":  # completed normally, it would have its summary by now
                mark_stopped(run_dir, scheduler)

    return MarkStopped()


def _name_of(config: dict) -> str:
    """The vaelab trial name of a Tune trial's config (an expanded trial's name, or Optuna's point)."""
    return config["trial"] if set(config) == {"trial"} else trial_name(dict(config))


def _dirname(trial) -> str:
    """Tune's folder of a trial (under ``.ray/``): the vaelab name, made unique by Tune's trial id."""
    return f"{_name_of(trial.config)[:100]}_{trial.trial_id}"


def _error_line(err: BaseException) -> str:
    """The one line of a Tune trial's error: the trial's own message, or the kind of failure."""
    cause = getattr(err, "cause", None) or err
    return str(cause) if isinstance(cause, TrialFailed) else internal_error(cause)


def _portable(cfg) -> dict:
    """A trial's config with data paths made absolute here, where they were found, as a plain mapping."""
    from vaelab.training.session import resolve_paths

    return resolve_paths(cfg.model_copy(deep=True)).model_dump(mode="json")


def _portable_base(base: dict) -> dict:
    """The sweep's base config, complete and with absolute data paths, for the trials Optuna draws."""
    from vaelab.config import make_config

    return _portable(make_config(base))


def _domain(tune, dist: dict):
    """A ``search:`` distribution as a Tune search space domain (checked already by the spec)."""
    (kind, args), = dist.items()
    if kind == "choice":
        return tune.choice(args)
    return (tune.uniform if kind == "uniform" else tune.loguniform)(float(args[0]), float(args[1]))


def _max_epochs(base: dict, space: dict) -> int:
    """The most epochs any drawn trial can plan: ASHA's ``max_t``."""
    epochs = base["train"]["epochs"]
    dist = space.get("train.epochs")
    if dist:
        (kind, args), = dist.items()
        epochs = max(int(a) for a in args) if kind == "choice" else int(args[1])
    return epochs


def _earlier_trials(out: Path, keys: list[str]) -> list[Trial]:
    """The trials earlier runs of this Optuna sweep left in ``runs/``, their points read back from config.yaml."""
    trials = []
    runs = out / "runs"
    for run_dir in sorted(runs.iterdir(), key=lambda p: p.stat().st_mtime) if runs.is_dir() else ():
        if RunLayout(run_dir).is_run():
            config = read_yaml_config(RunLayout(run_dir).config)
            point = {key: _dotted(config, key) for key in keys}
            if trial_name(point) == run_dir.name:
                trials.append(Trial(run_dir.name, point, None))
    return trials


def _dotted(raw: dict, key: str):
    for part in key.split("."):
        raw = raw.get(part) if isinstance(raw, dict) else None
    return raw
