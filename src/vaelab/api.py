"""The Python API that the CLI wraps: ``train``, ``load_run``, ``evaluate``, ``plot``, ``sample``, ``lso``, ``write_report``,
``explore``.

Each function resolves its arguments and calls one step of :mod:`vaelab.pipeline` (or
:func:`vaelab.training.train_run`); a run is given as a run directory or a loaded
:class:`~vaelab.rundir.Run`.
"""

from __future__ import annotations

import os
from pathlib import Path

from vaelab.config import RunConfig, load_config, make_config
from vaelab.config.shortcuts import shortcut_overrides
from vaelab.errors import ConfigError
from vaelab.latentopt.settings import MATCH, PROPERTY
from vaelab.pipeline.defaults import SAMPLES
from vaelab.rundir import Run, RunLayout, load_run
from vaelab.training.session import check_run_dir


def _resolve_config(config, overrides, shortcuts) -> RunConfig:
    overrides = list(overrides) + shortcut_overrides(shortcuts)
    if config is None or isinstance(config, (dict, RunConfig)):
        return make_config(config, overrides)
    return load_config(config, overrides)


def train(config=None, *, out=None, resume: bool = False, overrides=(), **shortcuts) -> Run:
    """Train a model and return its :class:`~vaelab.rundir.Run`.

    ``config`` is a YAML path, a dict, a RunConfig or None (defaults). Keyword
    shortcuts (``model``, ``data``, ``epochs``, ``latent_dim``, ``seed``, ...) and
    ``overrides=["section.key=value"]`` are applied on top. With ``resume=True``,
    ``out`` names an existing run directory, which continues from its last
    checkpoint; shortcuts (e.g. ``epochs``) may extend it.

    ``data`` is a dataset name, or the data itself: a NumPy array or torch tensor ``x``
    of shape (N, ...), a tuple ``(x, y)`` with integer labels y (N,), or a dict
    ``{"x": x, "y": y, "score": s}``. Arrays are saved in the run directory as
    ``inputs.npz`` and config.yaml names that file (dataset ``array``; its options, such
    as ``data.options.kind`` or ``event_shape``, apply), so ``evaluate``, ``plot``,
    ``sample`` and ``resume`` work later from the run directory alone. The checks of
    every dataset apply (finite values, labels 0..K-1, enough examples per split).

    >>> run = vaelab.train(model="vae", data="mnist5k", epochs=5)   # doctest: +SKIP
    >>> run = vaelab.train(data=(x, y), model="cvae", epochs=5)     # doctest: +SKIP
    """
    from vaelab.data.inputs import input_arrays
    from vaelab.device import first_device
    from vaelab.training import train_run
    from vaelab.training.distributed import is_main

    arrays = input_arrays(shortcuts.get("data"))
    if arrays is not None:
        shortcuts = {k: v for k, v in shortcuts.items() if k != "data"}
    cfg = _train_config(config, out, resume, overrides, shortcuts)
    out = train_run(cfg, out, resume, arrays=arrays)
    if not is_main():  # a data-parallel rank > 0 (torchrun): rank 0 returns the run
        return None
    return load_run(out, device=first_device(cfg.train.device))


def ensemble_members(specs) -> dict[str, list]:
    """``["seeds=0,1,2,3", "lr=1e-3,3e-4"]`` -> {"train.seed": [0, 1, 2, 3], "optim.lr": [0.001, 0.0003]}.

    A name is a dotted config key or a short flag's name (``seed``/``seeds``, ``lr``, ``beta``, ...);
    values are YAML scalars. Several specs cross (every combination), as a sweep's ``grid:``.
    """
    import yaml

    from vaelab.config.shortcuts import SHORTCUTS

    members: dict[str, list] = {}
    for spec in specs:
        name, sep, values = str(spec).partition("=")
        name = "seed" if name.strip() == "seeds" else name.strip()
        if not sep or not name or not values.strip():
            raise ConfigError(f"--ensemble takes KEY=V1,V2,... (e.g. seeds=0,1,2,3), got {spec!r}")
        key = SHORTCUTS[name].key if name in SHORTCUTS else name
        members[key] = [_scalar(yaml.safe_load(v.strip())) for v in values.split(",")]
        twice = sorted({str(v) for v in members[key] if members[key].count(v) > 1})
        if twice:
            raise ConfigError(f"--ensemble {spec}: {', '.join(twice)} given twice, so members would repeat the "
                              "same run; give each value once")
    if not members:
        raise ConfigError("--ensemble needs members, e.g. --ensemble seeds=0,1,2,3")
    return members


def _scalar(value):
    """A YAML scalar, with YAML 1.1's strings such as ``1e-3`` read as the numbers they are."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def train_ensemble(config=None, *, members, out=None, resume: bool = False, overrides=(), **shortcuts) -> list[Run]:
    """Train several runs that differ only in vectorisable keys as one stacked model; return their Runs.

    ``members`` maps config keys to values (``{"train.seed": [0, 1, 2, 3]}``, or the strings
    of :func:`ensemble_members`); several keys cross. Member ``seed-0`` is written to
    ``OUT/seed-0``, an ordinary run directory equal (to float rounding) to the single run
    with that config (docs/scaling.md, "Ensembles"). ``resume=True`` with the same config
    and members continues the unfinished members and keeps the finished ones.

    >>> runs = vaelab.train_ensemble(data="mnist5k", epochs=5, members={"train.seed": [0, 1, 2, 3]})  # doctest: +SKIP
    """
    from vaelab.sweeps.results import state_of
    from vaelab.sweeps.spec import expand
    from vaelab.training.group import train_group
    from vaelab.training.session import default_out

    if not isinstance(members, dict):
        members = ensemble_members(members)
    cfg = _resolve_config(config, overrides, shortcuts)
    trials = expand({"base": cfg.model_dump(mode="json"), "grid": {k: list(v) for k, v in members.items()}})
    out = Path(out) if out is not None else default_out(cfg).with_name(default_out(cfg).name + "-ensemble")
    if not resume and out.exists() and any(out.iterdir()):
        raise ConfigError(f"ensemble folder '{out}' already exists and is not empty; pass --resume to continue it, "
                          "or choose another --out")
    dirs = [out / t.name for t in trials]
    states = [state_of(d) for d in dirs]
    todo = [i for i, st in enumerate(states) if st != "finished"]
    if todo:
        train_group([trials[i].config for i in todo], [dirs[i] for i in todo], [states[i] == "resume" for i in todo],
                    [trials[i].name for i in todo])
    from vaelab.device import first_device

    return [load_run(d, device=first_device(cfg.train.device)) for d in dirs]


def _train_config(config, out, resume: bool, overrides, shortcuts) -> RunConfig:
    """The config a training (or resumed) run uses."""
    if resume:
        if out is None:
            raise ConfigError("resume needs the run directory: --resume RUN_DIR")
        check_run_dir(Path(out), resume=True)
        saved = load_config(RunLayout(out).config, saved_run=True)  # options it predates keep their old values
        return _resolve_config(saved, overrides, shortcuts)
    return _resolve_config(config, overrides, shortcuts)


def launch_train(argv: list[str], nproc: int | None, config=None, *, out=None, resume: bool = False,
                 overrides=(), **shortcuts) -> int | None:
    """``vaelab train --nproc N``: train data-parallel in N local processes (docs/distributed.md).

    ``argv`` is the command line to give each worker (without ``--nproc``). Returns the
    exit code, or None when the run is a single process (``--nproc 1`` and no device
    list), which the caller trains as usual. The settings are checked here first.
    """
    from vaelab.training import launch

    if "RANK" in os.environ and "WORLD_SIZE" in os.environ:  # already a torchrun worker: train in place
        return None
    cfg = _train_config(config, out, resume, overrides, shortcuts)
    n = launch.processes(cfg, nproc)
    if n == 1:
        return None
    launch.check(cfg, n)
    if out is not None and not resume:
        check_run_dir(Path(out), resume=False)
    return launch.launch(argv, n)


def evaluate(run_dir, split: str = "test", iw_samples: int | None = None, checkpoint: str = "best",
             device: str = "auto", **kwargs) -> dict:
    """Load a run (a directory or a :class:`Run`) and write the split's diagnostics; returns the figures.

    They go to ``diagnostics.json`` for the test split and to ``diagnostics-<split>.json``
    for ``train`` and ``valid``, so each split keeps its own.

    ``iw_samples`` is K of the IW NLL: None for 5000 (Burda et al. 2015), or 100 on token
    data; 0 skips it. Other options: :func:`vaelab.pipeline.evaluate_run`; the keys are
    in docs/run-arrays.md. ``device`` is where a run directory's model is loaded.

    >>> d = vaelab.evaluate("runs/demo/vae", iw_samples=1000)        # doctest: +SKIP
    """
    from vaelab.pipeline import evaluate_run

    return evaluate_run(load_run(run_dir, checkpoint=checkpoint, device=device), split=split, iw_samples=iw_samples,
                        **kwargs)


def plot(run_dir, kinds=None, *, recompute: bool = False, checkpoint: str = "best", view_options=None,
         seed: int | None = None, device: str = "auto", progress: bool = True, **options):
    """Draw a run's figures into ``RUN_DIR/plots/``; returns ``DrawResult(written, skipped)``.

    The arrays each figure needs (``RUN_DIR/arrays/*.npz``, docs/run-arrays.md) are
    decoded from the ``checkpoint`` model when missing, or all again with
    ``recompute``; ``view_options`` passes settings to those builders, e.g.
    ``{"traversals": {"base": "data"}, "lattice": {"dims": (0, 3)}}``. ``options``
    go to the drawing functions (``projection="tsne"``, ``dims=(0, 1)``, ...); see
    ``vaelab.plots.figure_options``. ``seed`` re-draws the random choices of the figure
    data (which examples, samples and pairs) and rebuilds it; None keeps what is saved.
    """
    from vaelab.pipeline import plot_run

    return plot_run(run_dir, kinds, recompute=recompute, checkpoint=checkpoint, view_options=view_options, seed=seed,
                    device=device, progress=progress, **options)


def write_report(run_dirs, out) -> Path:
    """One self-contained HTML page comparing ``run_dirs`` (config differences, diagnostics, figures)."""
    from vaelab.report import build_report

    return build_report([Path(p) for p in run_dirs], Path(out))


def sample(run_dir, n: int = SAMPLES, sampler: str | None = None, *, seed: int = 0, options: dict | None = None,
           refit: bool = False, out=None, checkpoint: str = "best", device: str = "auto", progress: bool = True):
    """Draw ``n`` samples from a run with a named sampler; write ``<sampler>-<n>-seed<S>.npz`` and ``.png``
    (molecule runs: also ``.smi``, the decoded SMILES one per line).

    ``sampler`` is a key of :data:`vaelab.sampling.SAMPLERS`: ``prior``, or an ex-post
    density fitted to the training codes (``gaussian``, ``gmm``, ``two-stage``; Ghosh
    et al. 2020, Dai & Wipf 2019); None means the model's own (``n_sampler``: the prior
    for VAEs). A fitted sampler is saved in ``RUN_DIR/samplers/<name>/`` and reused;
    ``options`` (e.g. ``{"components": 5}``) that differ from the saved fit need
    ``refit=True``. Files go to ``out`` (default ``RUN_DIR/samples``; checked before
    anything is computed, and never inside another run directory). Returns a
    :class:`vaelab.pipeline.SampleResult` (``z``, ``x``, ``npz``, ``png``, ``sampler``;
    molecule runs: ``smi`` and ``molecules``, the counts of valid and unique ones).
    """
    from vaelab.pipeline import write_samples
    from vaelab.sampling import sampler_class

    if sampler is not None:
        sampler_class(sampler)  # an unknown name fails before the run is loaded
    run = load_run(run_dir, checkpoint=checkpoint, device=device)
    name = sampler or getattr(run.model, "n_sampler", "prior")
    return write_samples(run, name, n, seed=seed, options=options, refit=refit, out=out, progress=progress)


def lso(run_dir, property: str | None = None, *, task: str = "property", starts: int | None = None,
        steps: int | None = None, lr: float | None = None, penalty: float = PROPERTY.penalty,
        penalty_on: str = PROPERTY.penalty_on, start: str = PROPERTY.start, direction: str | None = PROPERTY.direction,
        max_norm=PROPERTY.max_norm, box: bool = PROPERTY.box, targets: int = MATCH.targets, loss: str = MATCH.loss,
        init: str = MATCH.init, tol: float = MATCH.tol, seed: int = 0, refit: bool = False, checkpoint: str = "best",
        device: str = "auto", progress: bool = True):
    """Latent space optimisation on a run; results go to ``RUN_DIR/lso/`` (see docs/lso.md).

    ``task="property"``: optimise the property ``property`` (``vaelab.latentopt.available(run)``
    lists them: RDKit ``logp``/``qed``/``sa``/``mw`` and the dataset's columns for
    molecules, ``score`` or ``label:K`` otherwise). A predictor fitted on the training
    codes (reused unless ``refit``) is ascended from ``starts`` codes (``start``: worst
    or random test examples, or prior draws) for ``steps`` Adam steps (``lr``) against a
    penalty ``penalty`` * ½||.||²: with ``penalty_on="codes"`` the log-density of a
    Gaussian fitted to the training codes, the ascent running in its whitened
    coordinates; with ``"prior"`` ½||z||², each coordinate kept within the training
    codes' range (``box``). ``max_norm`` (``auto``: the training codes' largest
    distance; None: none) bounds the distance. Molecules are decoded and checked with
    RDKit. Returns :class:`vaelab.latentopt.PropertyResult`.

    ``task="match"``: the NE-VAE paper's toy task on images: ``targets`` test images,
    ``starts`` random starts each, ``steps`` Adam steps on the squared error
    (``loss="nll"``: -log p(x|z)). Returns :class:`vaelab.latentopt.MatchResult` with the
    iterations to converge and the spread.

    The defaults are declared once, in :mod:`vaelab.latentopt.settings` (``PROPERTY``,
    ``MATCH``); ``starts``, ``steps`` and ``lr`` left at None take the task's own.

    >>> vaelab.lso("runs/qm9-vae", "qed").summary["molecules"]["best"]     # doctest: +SKIP
    """
    from vaelab.pipeline.lso import check_task, run_lso

    check_task(task, property)
    return run_lso(load_run(run_dir, checkpoint=checkpoint, device=device), property, task=task, seed=seed, refit=refit,
                   progress=progress, starts=starts, steps=steps, lr=lr, penalty=penalty, penalty_on=penalty_on,
                   start=start, direction=direction, max_norm=max_norm, box=box, targets=targets, loss=loss,
                   init=init, tol=tol)


def sweep(spec, out, *, workers: int | None = None, executor: str | None = None,
          ray_address: str | None = None, progress: bool = True) -> list[dict]:
    """Run a sweep (a sweep file's path or its mapping; see :mod:`vaelab.sweeps.spec`) into the folder ``out``.

    Every trial is validated first; trials train as ordinary run directories under
    ``out/runs/``; ``out/results.csv`` gets one row per trial (with ``evaluate:``, each
    finished trial's diagnostics too) and ``out/sweep.png`` the metrics against the varied
    keys. Calling it again skips finished trials and resumes the rest. Returns the rows of
    ``results.csv``. A script that calls it needs the ``if __name__ == "__main__":`` guard:
    each worker process imports the script.

    ``executor`` (default: the sweep's ``executor:``, else ``local``) picks where trials
    train: ``local``, a process pool on this machine (``workers`` at once), or ``ray``,
    Ray Tune (``pip install 'vaelab[ray]'``) on a local Ray instance or the cluster at
    ``ray_address``, with the searcher and scheduler of the sweep's ``ray:`` options
    (``workers`` caps the trials at once). See ``docs/sweeps.md``.

    >>> vaelab.sweep({"base": {"data": {"name": "mnist5k"}}, "grid": {"model.latent_dim": [2, 16]},
    ...               "seeds": 2}, out="sweeps/latent")   # doctest: +SKIP
    """
    from vaelab.sweeps.run import run_sweep
    from vaelab.sweeps.spec import load_sweep

    return run_sweep(spec if isinstance(spec, dict) else load_sweep(spec), out, workers=workers, executor=executor,
                     ray_address=ray_address, progress=progress)


def reproduce(study: str, budget: str = "short", out=None, *, executor: str | None = None, workers: int | None = None,
              progress: bool = True, results_dir=None, record_only: bool = False) -> dict:
    """Run a paper's study (``vaelab reproduce --list``) at ``budget`` (smoke, short, full) into ``out``.

    Each study is a sweep (``out/<part>/``) plus its evaluation, figures (``out/figures/``)
    and a record, ``out/reproduction.json`` (and ``.md``), whose table puts measured and
    published numbers side by side and whose claims are decided by computed tests; the HTML
    report is ``out/report.html``. Default ``out``: ``runs/reproduce/<study>-<budget>``.
    Calling it again resumes. ``results_dir`` also writes ``<results_dir>/<study>-<budget>.json``
    (``docs/results``: the files docs/RESULTS.md is generated from). ``record_only`` trains
    nothing and records the trials finished so far. Returns the record.
    """
    from vaelab.reproduce.runner import reproduce as run

    return run(study, budget, out, executor=executor, workers=workers, progress=progress, results_dir=results_dir,
               record_only=record_only)


def explore(run_dirs, *, split: str = "test", port: int = 0, browser: bool = True, max_points: int | None = None,
            export_dir=None, checkpoint: str = "best", device: str = "auto", progress: bool = True,
            say=print) -> str:
    """Serve a web page to explore one or two runs' latent spaces at http://127.0.0.1:PORT/ until Ctrl-C.

    Panels (docs/explore.md): the map of the ``split``'s posterior means (identity for 2-D
    latents, PCA, t-SNE), click to decode, one slider per latent dimension ordered by
    activity, linear and spherical paths, samples (prior, gaussian, gmm), two runs side by
    side, PNG and JSON exports. ``port`` 0 picks a free port; ``browser`` opens the page.
    At most ``max_points`` examples are shown (default
    :data:`vaelab.explorer.defaults.MAX_POINTS`). The run directories are only read; exports
    are downloads, or files in ``export_dir`` when one is given (never a run directory).
    Needs the explore extra (``pip install 'vaelab[explore]'``). Returns ``"stopped"``.
    """
    from vaelab.explorer import load_session, require_explore, serve
    from vaelab.explorer.defaults import MAX_POINTS
    from vaelab.explorer.serving import bind
    from vaelab.progress import stage
    from vaelab.rundir.layout import require_run

    require_explore()
    run_dirs = [Path(p) for p in ([run_dirs] if isinstance(run_dirs, (str, os.PathLike)) else run_dirs)]
    if not 1 <= len(run_dirs) <= 2:
        raise ConfigError(f"explore shows one or two runs side by side, got {len(run_dirs)}")
    if max_points is not None and (isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 2):
        raise ConfigError(f"--max-points must be a whole number of at least 2 (a map needs two examples), got "
                          f"{max_points!r}")
    if split not in ("train", "valid", "test"):
        raise ConfigError(f"split must be train, valid or test, got {split!r}")
    for path in run_dirs:  # every folder checked before any model loads
        require_run(path)
    folder = None if export_dir is None else _export_folder(export_dir)
    sock = bind(port)  # a taken port is refused before the runs load
    try:
        with stage(f"explore: loading {len(run_dirs)} run(s) and encoding the {split} split", enabled=progress):
            session = load_session(run_dirs, split, max_points=max_points or MAX_POINTS, checkpoint=checkpoint,
                                   device=device, export_dir=folder)
    except BaseException:
        sock.close()
        raise
    return serve(session, port=sock, browser=browser, say=say)


def _export_folder(path) -> Path:
    """The --export-dir folder, made ready; never inside a run directory (explore writes no run)."""
    from vaelab.fileio import out_folder
    from vaelab.rundir.layout import owning_run

    owner = owning_run(path)
    if owner is not None:
        raise ConfigError(f"--export-dir '{path}' lies in the run directory {owner}; explore never writes a run: "
                          "choose a folder outside it")
    return out_folder(path, "--export-dir")
