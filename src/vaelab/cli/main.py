"""Entry point: ``vaelab <command> ...``. User errors print one line and exit non-zero.

Building the parser imports nothing heavy (no torch, matplotlib or RDKit): every list
and default it shows comes from a light catalogue (the config schema, the shortcut
table, the figure and sampler catalogues, the LSO settings, the pipeline's defaults), so
``vaelab --help`` and every ``vaelab COMMAND --help`` answer at once. A command imports
what it needs when it runs.

Conventions, the same in every command: options that may be given several times are
repeated (``--set a=1 --set b=2``, ``--kind bubbles --kind lattice``); ``--out`` is a
directory, except for ``report``, whose ``--out`` is the HTML file; every command that
computes takes ``--device`` and ``--no-progress``, and ``--seed`` where it draws.
"""

from __future__ import annotations

import argparse
import functools
import sys
import warnings

from vaelab.cli import commands
from vaelab.cli.output import print_error, print_warning


class HelpFormatter(argparse.HelpFormatter):
    """Appends ``(default: X)`` to an option's help unless the help already states its default.

    A train shortcut's default is the config's (:mod:`vaelab.config.schema`), read only when
    its help is printed: building the parser (``vaelab --help``, ``vaelab evaluate --help``)
    does not import the config schema and pydantic.
    """

    def _get_help_string(self, action):
        text = action.help or ""
        key = getattr(action, "config_key", None)
        if key is not None:
            default = _config_default(key)
            return f"{text} (default: {'unset' if default is None else _shown(default)}, or the preset's)"
        unset = action.default is None or action.default is False or action.default is argparse.SUPPRESS
        if "default" in text or unset or not action.option_strings:  # a default of 0 is still shown
            return text
        return f"{text} (default: {_shown(action.default)})"


class Parser(argparse.ArgumentParser):
    """argparse with the command line's one-line error: no usage block, the help to read named instead."""

    def error(self, message: str):
        print_error(f"{self.prog}: {message} (see `{self.prog} --help`)")
        raise SystemExit(2)


def _shown(value) -> str:
    """A default as the help shows it: lists comma-separated, booleans as the config spells them."""
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return str(value).lower() if isinstance(value, bool) else str(value)


@functools.lru_cache(maxsize=1)
def _config_defaults():
    """The default config (:class:`~vaelab.config.schema.RunConfig`), built once, when a help needs it."""
    from vaelab.config.schema import RunConfig

    return RunConfig()


def _config_default(key: str):
    """The config's default for a dotted key such as ``train.epochs``."""
    section, name = key.split(".")
    return getattr(getattr(_config_defaults(), section), name)


def _parser(sub, name: str, **kwargs) -> argparse.ArgumentParser:
    return sub.add_parser(name, formatter_class=HelpFormatter, **kwargs)


def _computing(p, seed_help: str | None = None, seed_default=0) -> None:
    """The options of every command that computes: --device, --no-progress, and --seed where it draws."""
    p.add_argument("--device", default="auto", help="where to compute: auto (a GPU when there is one), cpu, cuda, "
                                                     "cuda:N")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress output (default: bars on a terminal, one line per stage in a log)")
    if seed_help is not None:
        p.add_argument("--seed", type=int, default=seed_default, help=seed_help)


def _checkpoint(p) -> None:
    p.add_argument("--checkpoint", default="best", choices=["best", "last"],
                   help="the checkpoint to load: best (lowest validation loss) or last")


def _add_train(sub) -> None:
    from vaelab.config.shortcuts import SHORTCUTS, flag

    p = _parser(sub, "train", help="train a model; writes a run directory",
                description="Train a model. Settings come from CONFIG (YAML), then --set key=value, then the "
                            "short flags; a model preset fills in what none of them sets.")
    p.add_argument("config", nargs="?", help="YAML config file (default: none, the built-in defaults)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a config key, repeatable, e.g. --set model.latent_dim=2 --set train.epochs=5 "
                        "(default: none)")
    p.add_argument("--out", help="run directory to create (default: runs/<model>-<data>-<time>)")
    p.add_argument("--resume", nargs="?", const=True, metavar="RUN_DIR",
                   help="continue a run from its last checkpoint (RUN_DIR or --out; default: a new run)")
    for name, s in SHORTCUTS.items():
        if s.type is bool:
            action = p.add_argument(flag(name), action=argparse.BooleanOptionalAction, default=None, help=s.help)
        else:
            action = p.add_argument(flag(name), type=s.type, metavar=name.upper(),
                                    help=f"{s.help}; = --set {s.key}=...")
        action.config_key = s.key  # the help's default is read from the config when it is printed
    p.add_argument("--no-progress", action="store_true",
                   help="no progress output: neither the bar nor the per-epoch lines (default: a bar on a "
                        "terminal, and about 20 per-epoch lines in a terminal or a log)")
    p.add_argument("--nproc", type=int, metavar="N",
                   help="train data-parallel in N local processes (torchrun's machinery; gloo on CPU, nccl on "
                        "GPUs; train.batch_size is the global batch); docs/distributed.md (default: one process, "
                        "or one per device of a train.device list)")
    p.add_argument("--ensemble", action="append", metavar="KEY=V1,V2,...",
                   help="train several members as one stacked model, e.g. --ensemble seeds=0,1,2,3 (repeat to cross "
                        "keys; only vectorisable keys: seed, beta, lr, schedules, ...); each member is an ordinary "
                        "run directory OUT/<member>; docs/scaling.md, Ensembles (default: one model)")
    p.set_defaults(func=commands.cmd_train)


def _add_evaluate(sub) -> None:
    from vaelab.pipeline import defaults as d

    p = _parser(sub, "evaluate", help="diagnostics of a run on a split; writes diagnostics.json (test) or "
                                      "diagnostics-SPLIT.json")
    p.add_argument("run_dir", help="a run directory written by `vaelab train`")
    p.add_argument("--split", default="test", choices=["train", "valid", "test"], help="the split to evaluate")
    p.add_argument("--iw-samples", type=count_or_zero, default=None,
                   help=f"K of the importance-weighted NLL (default {d.IW_SAMPLES}, as Burda et al.; "
                        f"{d.IW_SAMPLES_TOKENS} on SMILES/SELFIES runs, where each sample is a pass of the GRU; "
                        "0 to skip)")
    _checkpoint(p)
    p.add_argument("--limit", type=count, help="evaluate N examples: the same seeded random subset for every run (default: all)")
    p.add_argument("--batch-size", type=count, default=d.IW_BATCH, help="examples per IW NLL batch")
    p.add_argument("--no-fd", dest="fd", action="store_false",
                   help="skip the FD (feature net); its classifier ships with vaelab for MNIST-like data and "
                        "digits, and is trained on first use (and cached) for other data")
    p.add_argument("--fd-sampler", dest="fd_samplers", action="append", metavar="NAME",
                   help=f"a fitted sampler whose samples get an FD column fd_<NAME>, repeatable "
                        f"(default: {', '.join(d.FD_SAMPLERS)}; see `vaelab sample`)")
    p.add_argument("--refit-samplers", action="store_true",
                   help="refit the samplers the FD uses even if RUN_DIR/samplers/ holds fits")
    _computing(p, "seed of every random draw of the evaluation")
    p.set_defaults(func=commands.cmd_evaluate)


def _pair(text: str) -> tuple[int, int]:
    try:
        a, b = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected two latent dimensions like 0,3, got {text!r}") from None
    return a, b


def _add_plot(sub) -> None:
    from vaelab.plots.registry import FIGURES

    p = _parser(sub, "plot", help="draw a run's figures into RUN_DIR/plots/",
                description="Draw figures from the arrays saved in the run directory; arrays that are "
                            "missing are decoded from the model first (and kept for redrawing).")
    p.add_argument("run_dir", help="a run directory written by `vaelab train`")
    p.add_argument("--kind", action="append", choices=list(FIGURES), metavar="KIND",
                   help=f"figure to draw, repeatable (default: all): {', '.join(FIGURES)}")
    p.add_argument("--recompute", action="store_true", help="decode the figure arrays again from the model")
    _checkpoint(p)
    p.add_argument("--projection", choices=["pca", "tsne"], help="latent scatter of >2-D codes (default: pca)")
    p.add_argument("--dims", type=_pair, metavar="A,B",
                   help="bubbles: the two latent dimensions to show (default: the two most active)")
    p.add_argument("--show", choices=["data", "decoded"],
                   help="molecule-map: draw the test molecules (default: data) or what their codes decode to")
    p.add_argument("--colour-by", metavar="PROPERTY",
                   help="molecule-map: the property that colours the points (default: the dataset's score)")
    p.add_argument("--lattice-dims", type=_pair, metavar="A,B",
                   help="lattice: the two dimensions to decode over (default: the two most active)")
    p.add_argument("--traverse-from", choices=["zero", "data"],
                   help="traversals: other dimensions at 0 or at a test example's code (default: zero)")
    _computing(p, "re-draw the figures' random choices (examples, samples, pairs) with this seed, rebuilding "
                  "their arrays (default: keep the saved ones, drawn with seed 0)", seed_default=None)
    p.set_defaults(func=commands.cmd_plot)


def _add_report(sub) -> None:
    p = _parser(sub, "report", help="one self-contained HTML page comparing runs or a sweep's trials",
                description="Config differences, diagnostics side by side (best marked) and every figure; a sweep "
                            "directory adds its results table (the varied keys as columns) and sweep.png. "
                            "Reads what evaluate, plot and sweep wrote; computes nothing.")
    p.add_argument("run_dirs", nargs="+", metavar="RUN_DIR",
                   help="run directories, or sweep directories (vaelab sweep --out)")
    p.add_argument("--out", default="report.html", metavar="FILE.html",
                   help="the HTML file to write (the one option named --out that is a file, not a directory)")
    p.set_defaults(func=commands.cmd_report)


def _add_sample(sub) -> None:
    from vaelab.pipeline import defaults as d
    from vaelab.sampling.catalogue import CATALOGUE

    names = "; ".join(f"{k}: {info.description}" for k, info in CATALOGUE.items())
    p = _parser(sub, "sample", help="draw samples from a run (prior, or a density fitted to the training codes)",
                description="Draw samples: z from a sampler, decoded to the likelihood mean. Ex-post samplers "
                            "are fitted to the training codes once and saved in RUN_DIR/samplers/NAME/. "
                            f"Samplers: {names}.")
    p.add_argument("run_dir", help="a run directory written by `vaelab train`")
    p.add_argument("--n", type=count, default=d.SAMPLES, help="number of samples")
    p.add_argument("--sampler", metavar="NAME",
                   help=f"{', '.join(CATALOGUE)} (default: the model's own, the prior for VAEs)")
    p.add_argument("--option", action="append", metavar="KEY=VALUE",
                   help="sampler option, repeatable, e.g. --option components=5 (gmm) or --option epochs=50 "
                        "(two-stage) (default: the sampler's defaults)")
    p.add_argument("--refit", action="store_true",
                   help="fit the sampler again, replacing the saved one (needed when options or checkpoint changed)")
    p.add_argument("--out", help="directory for the .npz and .png, and the .smi of a molecule run "
                                 "(default: RUN_DIR/samples)")
    _checkpoint(p)
    _computing(p, "sampling seed: same seed, same samples")
    p.set_defaults(func=commands.cmd_sample)


def _norm_bound(text: str):
    if text in ("auto", "none"):
        return None if text == "none" else "auto"
    return positive_float(text)


def _number(kind: type, least: float, strict: bool, what: str, below: float | None = None):
    """An argparse ``type`` reading ``kind`` that is >= ``least`` (> when ``strict``) and < ``below``.

    argparse puts the flag's name before the message: ``argument --n: expected a whole number >= 1, got '0'``.
    """
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        too_low = value < least or (strict and value == least)
        if value != value or too_low or (below is not None and value >= below):  # value != value: NaN
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value
    return parse


count = _number(int, 1, False, "a whole number >= 1")
count_or_zero = _number(int, 0, False, "a whole number >= 0 (0 skips)")
positive_float = _number(float, 0.0, True, "a number > 0")
non_negative_float = _number(float, 0.0, False, "a number >= 0")
_below_one = _number(float, 0.0, True, "a number > 0 and < 1", below=1.0)


def _add_sweep(sub) -> None:
    p = _parser(sub, "sweep", help="many runs from one sweep file: grid, zip, seeds and sampled search",
                description="Expands SWEEP.yaml (base, grid, zip, seeds, search + num_samples) into trials, "
                            "validates each, and trains them in a process pool on this machine (or on Ray Tune "
                            "with --executor ray: Optuna search, ASHA early stopping; docs/sweeps.md) into "
                            "OUT/runs/<trial>/, with one row per trial in OUT/results.csv and the metrics against the "
                            "varied keys in OUT/sweep.png; `evaluate:` in the file adds each trial's diagnostics. "
                            "Running it again skips finished trials and resumes interrupted ones (also after Ctrl-C "
                            "or SIGTERM). Exit code 2 when a trial failed.")
    p.add_argument("sweep", help="the sweep file (YAML)")
    p.add_argument("--out", required=True, help="directory of the sweep: sweep.yaml, runs/, results.csv "
                                                  "(required, no default: re-running resumes it)")
    p.add_argument("--workers", type=count, help="trials at once (default: min(trials, cores)); each gets "
                                                 "cores // workers torch threads (ray executor: at most this "
                                                 "many trials at once)")
    p.add_argument("--executor", choices=["local", "ray", "vectorized"],
                   help="where trials train: local, a process pool here; ray, Ray Tune (pip install "
                        "'vaelab[ray]'), with the sweep's ray: options; vectorized, trials differing only in "
                        "vectorisable keys (seed, beta, lr, ...) as one stacked model, the rest as local "
                        "(default: the sweep's executor:, else local)")
    p.add_argument("--ray-address", metavar="ADDR",
                   help="the Ray cluster to run on (e.g. auto, or HEAD:6379; OUT must be on a file system every "
                        "node sees) (default: the sweep's ray.address, else a local Ray instance)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress lines (default: one line as the sweep starts and as each trial ends)")
    p.set_defaults(func=commands.cmd_sweep, resume_hint="run the same `vaelab sweep` command again: finished trials "
                                                       "are kept and interrupted ones resume")


def _add_reproduce(sub) -> None:
    p = _parser(sub, "reproduce", help="a paper's findings in one command: measured and published numbers side by side",
                description="Runs a study (a sweep of the paper's rows, their evaluation and figures) and writes "
                            "OUT/reproduction.json and .md (measured and published numbers side by side, what "
                            "differs, the paper's claims each decided by a computed test) and OUT/report.html. "
                            "Budgets: smoke (seconds, tiny data: proves the pipeline), short (a meaningful CPU run, "
                            "10-60 min), full (the paper's setting). Running it again resumes. docs/RESULTS.md.")
    p.add_argument("study", nargs="?", help="the study (see --list)")
    p.add_argument("--list", action="store_true", help="list the studies, their budgets and estimated times")
    p.add_argument("--budget", default="short", choices=["smoke", "short", "full"], help="default: short")
    p.add_argument("--out", help="the study's directory (default: runs/reproduce/<study>-<budget>)")
    p.add_argument("--executor", choices=["local", "ray"],
                   help="where trials train, as in vaelab sweep (default: local, a process pool here)")
    p.add_argument("--workers", type=count, help="trials at once (default: min(trials, cores))")
    p.add_argument("--results-dir", metavar="DIR",
                   help="also write DIR/<study>-<budget>.json and its figures (docs/results: what docs/RESULTS.md "
                        "is generated from) (default: none)")
    p.add_argument("--record-only", action="store_true",
                   help="train and evaluate nothing: write the record and report of the trials finished so far "
                        "(e.g. while a long full run goes on)")
    p.add_argument("--no-progress", action="store_true", help="no progress lines")
    p.set_defaults(func=commands.cmd_reproduce, resume_hint="run the same `vaelab reproduce` command again: finished "
                                                           "trials are kept and interrupted ones resume")


def _add_lso(sub) -> None:
    from vaelab.latentopt.settings import MATCH, PROPERTY

    p = _parser(sub, "lso", help="latent space optimisation: a property (molecules) or matching target images",
                description="Property task (--property NAME): fit a predictor of the property on the latent "
                            "codes, run gradient ascent on it from several starts with a penalty on ||z||, "
                            "decode the paths (molecules: validity and the real property with RDKit). Match "
                            "task (--task match): the NE-VAE paper's toy task: freeze the decoder, optimise z "
                            "to reproduce test images from random starts; iterations to converge and spread of "
                            "the final codes. Results go to RUN_DIR/lso/.")
    p.add_argument("run_dir", help="a run directory written by `vaelab train`")
    p.add_argument("--task", choices=["property", "match"], default="property", help="which task")
    p.add_argument("--property", metavar="NAME",
                   help="property to optimise (molecules: logp, qed, sa, mw or a dataset column such as gap; "
                        "images: score or label:K) (default: none, the property task needs one; an unknown name "
                        "lists the run's)")
    p.add_argument("--starts", type=count, help=f"starts (default: property {PROPERTY.starts}; match: per target, "
                                              f"{MATCH.starts})")
    p.add_argument("--steps", type=count, help=f"Adam steps (default: property {PROPERTY.steps}; match {MATCH.steps})")
    p.add_argument("--lr", type=positive_float, help=f"Adam learning rate on z (default: property {PROPERTY.lr}; match "
                                            f"{MATCH.lr})")
    _checkpoint(p)
    _computing(p, "seed of targets, starts and predictor")
    g = p.add_argument_group("property task")
    g.add_argument("--penalty", type=non_negative_float, default=PROPERTY.penalty,
                   help="lambda: the ascent maximises the standardised prediction minus lambda times the "
                        "negative log-density of --penalty-on")
    g.add_argument("--penalty-on", choices=["codes", "prior"], default=PROPERTY.penalty_on,
                   help="codes: a full-covariance Gaussian fitted to the training codes, the ascent in its "
                        "whitened coordinates (lr and --max-norm in units of the codes' spread; keeps z where the "
                        "codes are, also after posterior collapse); prior: N(0, I), the ascent on z itself")
    g.add_argument("--start", choices=["worst", "random", "prior"], default=PROPERTY.start,
                   help="start from the test examples with the lowest predicted property, random test "
                        "examples, or draws from the model's sampler")
    g.add_argument("--minimize", dest="direction", action="store_const", const="minimize",
                   help="minimise the property (default for sa)")
    g.add_argument("--maximize", dest="direction", action="store_const", const="maximize",
                   help="maximise the property (default, except sa)")
    g.add_argument("--max-norm", type=_norm_bound, default=PROPERTY.max_norm, metavar="R",
                   help="bound the distance from the centre of --penalty-on's Gaussian: a number, auto (the training "
                        "codes' largest) or none")
    g.add_argument("--no-box", dest="box", action="store_false",
                   help="with --penalty-on prior: let coordinates leave the training codes' range (kept inside it "
                        "by default: along a collapsed dimension the predictor has seen no variation)")
    g.add_argument("--refit", action="store_true", help="fit the property predictor again, replacing the saved one")
    g = p.add_argument_group("match task")
    g.add_argument("--targets", type=count, default=MATCH.targets, help="test images to match (the NE-VAE paper: 50)")
    g.add_argument("--loss", choices=["se", "nll"], default=MATCH.loss,
                   help="se: squared error of the decoded mean (the paper's); nll: -log p(x|z)")
    g.add_argument("--init", choices=["sampler", "posterior"], default=MATCH.init,
                   help="starts drawn from the model's sampler (the prior for VAEs) or from q(z|x_target)")
    g.add_argument("--tol", type=_below_one, default=MATCH.tol,
                   help="converged once the loss stays within tol of its total change of its final value")
    p.set_defaults(func=commands.cmd_lso)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535 (0: a free one), got {text!r}")
    return value


def _add_explore(sub) -> None:
    from vaelab.explorer import defaults as d

    p = _parser(sub, "explore", help="a local web page to explore one or two runs' latent spaces",
                description="Serves a page on 127.0.0.1 (printed; opened in the browser): the map of a split's codes "
                            "(PCA, t-SNE; 2-D latents as they are), click to decode, a slider per latent dimension, "
                            "paths, samples, two runs side by side, PNG/JSON exports. Reads the runs, writes nothing "
                            "(unless --export-dir). Ctrl-C stops it. Needs pip install 'vaelab[explore]'; "
                            "docs/explore.md.")
    p.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="one run directory, or two to compare side by side")
    p.add_argument("--split", default=d.SPLIT, choices=["train", "valid", "test"], help="the examples on the map")
    p.add_argument("--port", type=_port, default=0, help="the port on 127.0.0.1 (0: a free one)")
    p.add_argument("--no-browser", action="store_true", help="only print the URL (default: open it in the browser)")
    p.add_argument("--max-points", type=count, default=d.MAX_POINTS,
                   help="examples shown on each map (a random subset of the split beyond that)")
    p.add_argument("--export-dir", metavar="DIR",
                   help="a folder where the page's 'save on server' buttons write PNG and JSON exports (default: "
                        "none; the page's downloads need no server)")
    _checkpoint(p)
    _computing(p)
    p.set_defaults(func=commands.cmd_explore, resume_hint="explore writes nothing; run the same command again")


def build_parser() -> argparse.ArgumentParser:
    from vaelab.version import __version__

    parser = Parser(prog="vaelab", description="Train VAE-family models and study their latent spaces.",
                    formatter_class=HelpFormatter)
    parser.add_argument("--version", action="version", version=f"vaelab {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of any error (also VAELAB_DEBUG=1)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_train(sub)
    _add_evaluate(sub)
    _add_plot(sub)
    _add_report(sub)
    _add_sample(sub)
    _add_lso(sub)
    _add_sweep(sub)
    _add_reproduce(sub)
    _add_explore(sub)
    p = _parser(sub, "datasets", help="list datasets and whether their data is present")
    p.add_argument("--data-dir", help="data directory to check (default: $VAELAB_DATA)")
    p.set_defaults(func=commands.cmd_datasets)
    p = _parser(sub, "models", help="list model variants, their options, posteriors and likelihoods")
    p.add_argument("--markdown", action="store_true", help="print the model table as Markdown")
    p.set_defaults(func=commands.cmd_models)
    return parser


def _on_sigterm(signum, frame):
    """The first SIGTERM stops the work like Ctrl-C (save, then stop); a second one exits at once."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    from vaelab.errors import Terminated

    raise Terminated()


# the heavy imports of every working command: torch, the library, every model variant (pydantic schemas)
_STARTUP_IMPORTS = ("torch", "vaelab.api", "vaelab.models.presets")


def _import_holding_signals(args) -> None:
    """Do the start-up imports with SIGINT and SIGTERM held back, then let a held one through.

    A signal during these imports raises inside C or Rust code that does not expect it, and the one
    clean line becomes something else: a KeyboardInterrupt that passed through torch's embedded
    ``PyRun_String`` marks itself unhandled in CPython < 3.12, so the interpreter ends by killing itself
    with SIGINT (exit -2) after the command printed its line; a half-built torch can abort at exit
    ("terminate called without an active exception", exit -6); pydantic-core turns it into a
    SchemaError (an internal error). Held back, the signal arrives the moment the imports end and stops
    the command like any other Ctrl-C, at most the imports' second or two later.
    """
    import importlib
    import signal

    if args.func in (commands.cmd_datasets, commands.cmd_models) or getattr(args, "list", False):
        return  # the catalogue commands need none of it
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no signal masks
        for name in _STARTUP_IMPORTS:
            importlib.import_module(name)
        return
    held = {signal.SIGINT, signal.SIGTERM}
    before = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        for name in _STARTUP_IMPORTS:
            importlib.import_module(name)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _forget_unhandled_interrupt() -> None:
    """Clear CPython's "a KeyboardInterrupt went unhandled" mark: this one was handled.

    CPython 3.11 sets the mark whenever a KeyboardInterrupt passes through ``exec`` of a string, and
    dataclasses and namedtuples build their methods that way, so a Ctrl-C that lands while torch
    lazily imports one of its modules sets it even though :func:`main` catches the exception. Under
    ``python -m vaelab`` the interpreter then ends by killing itself with SIGINT (exit -2) instead of
    returning the 130 we chose (the ``vaelab`` script, which exits through ``Py_Exit``, is not hit).
    Where the mark is not a public symbol (other interpreters) there is nothing to clear.
    """
    try:
        import ctypes

        ctypes.c_int.in_dll(ctypes.pythonapi, "_Py_UnhandledKeyboardInterrupt").value = 0
    except (ImportError, AttributeError, ValueError, OSError):
        pass


def _crash_log(err: BaseException) -> str:
    """Write the traceback of an unexpected error to a temporary file; its path."""
    import tempfile
    import traceback

    fd, path = tempfile.mkstemp(prefix="vaelab-crash-", suffix=".log")
    with open(fd, "w", encoding="utf-8") as fh:
        fh.write(f"vaelab {' '.join(sys.argv[1:])}\n\n")
        fh.write("".join(traceback.format_exception(type(err), err, err.__traceback__)))
    return path


def _debug(args) -> bool:
    import os

    return bool(getattr(args, "debug", False)) or os.environ.get("VAELAB_DEBUG", "") not in ("", "0")


def _follower() -> bool:
    """A data-parallel worker of rank > 0 (torchrun sets RANK): it prints nothing but internal errors."""
    import os

    return os.environ.get("RANK", "0") != "0" and "WORLD_SIZE" in os.environ


def exit_process(code: int):
    """End the process with ``code``; a data-parallel worker skips the C++ teardown at interpreter exit.

    After a finished run (process group destroyed, files written), a gloo worker sometimes
    aborted while the interpreter tore torch down ("terminate called without an active
    exception": a C++ thread object destroyed while still joinable), 4 of 85 tries of
    ``vaelab train --nproc 2``, and the launcher then reported the finished run as failed.
    A worker therefore runs Python's exit handlers, flushes its streams and leaves with
    ``os._exit``; any other process exits normally.
    """
    import os

    code = 0 if code is None else code
    if "WORLD_SIZE" in os.environ and "RANK" in os.environ:
        import atexit

        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    """Run one command; the one error boundary of the command line (exit codes: :mod:`vaelab.errors`)."""
    import signal

    from vaelab.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated, VaelabError, io_failure

    args = None
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:  # parsing too: a Ctrl-C while the command starts is the same one line
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as stop:  # --help, --version, or a usage error already printed as one line
            return stop.code if isinstance(stop.code, int) else 2
        if not getattr(args, "func", None):
            parser.print_help()
            return 1
        args.argv = list(sys.argv[1:] if argv is None else argv)  # `train --nproc` hands it to its workers
        _import_holding_signals(args)
        from vaelab.progress import quiet

        with warnings.catch_warnings(), quiet(getattr(args, "no_progress", False) or _follower()):
            warnings.showwarning = print_warning  # one "warning:" line, no source line
            if _follower():
                warnings.simplefilter("ignore")  # rank 0 says it
            return args.func(args)
    except VaelabError as err:
        if not _follower():  # every rank refuses alike; rank 0 says it once
            print_error(str(err))
        return err.exit_code
    except OSError as err:
        if _debug(args):
            raise
        failure = io_failure(err)
        print_error(str(failure))
        return failure.exit_code
    except KeyboardInterrupt as err:
        _forget_unhandled_interrupt()
        what = "terminated (SIGTERM)" if isinstance(err, Terminated) else "interrupted"
        if not _follower():
            print_error(f"{what}; finished checkpoints are intact: "
                        + getattr(args, "resume_hint", "continue a training run with `vaelab train --resume RUN_DIR`"))
        return EXIT_TERMINATED if isinstance(err, Terminated) else EXIT_INTERRUPTED
    except Exception as err:  # a bug: never a bare traceback, never lost
        if _debug(args):
            raise
        print_error(f"internal error ({type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''}); "
                    f"the traceback is in {_crash_log(err)}; please report it")
        return EXIT_INTERNAL
    finally:
        signal.signal(signal.SIGTERM, previous)

if __name__ == "__main__":
    exit_process(main())
