"""Where each file of a run directory lives: every name is defined here once.

::

    RUN_DIR/
      config.yaml        the fully resolved config          (vaelab train)
      metrics.jsonl      one record per epoch               (vaelab train)
      checkpoints/       latest.json + epoch_NNNN/ folders  (vaelab train; rundir.checkpoint)
      summary.json       status, final and best figures     (vaelab train)
      vocabulary.json    token runs: the tokenizer's vocabulary
      inputs.npz         the arrays given to vaelab.train(data=...) (dataset array)
      diagnostics.json   the test split's diagnostics        (vaelab evaluate)
      diagnostics-<split>.json  another split's (train, valid)  (vaelab evaluate --split)
      arrays/<name>.npz  figure data                        (vaelab evaluate / plot)
      plots/<name>.png   figures                            (vaelab plot)
      samplers/<name>/   fitted ex-post densities           (vaelab sample / evaluate)
      samples/           <sampler>-<n>-seed<S>.{npz,png}     (vaelab sample)
      lso/<folder>/      latent space optimisation results  (vaelab lso)
      tb/                TensorBoard event files            (vaelab train, train.loggers: [tensorboard])
      tracking.json      the run's trackers: MLflow run id, TensorBoard steps per epoch (train.loggers)

A sweep directory (``vaelab sweep``) holds run directories::

    SWEEP_DIR/
      sweep.yaml         the sweep file, resolved, with its trials' names and varied values
      runs/<trial>/      one ordinary run directory per trial
      results.csv        one row per trial: varied values, status, figures, error
      sweep.png          the metrics against the varied keys
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vaelab.errors import CheckpointError, VaelabError

CONFIG = "config.yaml"
METRICS = "metrics.jsonl"
SUMMARY = "summary.json"
DIAGNOSTICS = "diagnostics.json"  # the test split's; other splits have diagnostics-<split>.json
VOCABULARY = "vocabulary.json"
INPUTS = "inputs.npz"
CHECKPOINTS = "checkpoints"
ARRAYS = "arrays"
PLOTS = "plots"
SAMPLERS = "samplers"
SAMPLES = "samples"
LSO = "lso"
TENSORBOARD = "tb"
TRACKING = "tracking.json"
#: what training writes: no other command writes in these
TRAINING_FILES = (CONFIG, METRICS, SUMMARY, VOCABULARY, CHECKPOINTS, TENSORBOARD, TRACKING)


def diagnostics_file(split: str = "test") -> str:
    """The diagnostics of ``split``, relative to the run directory: :data:`DIAGNOSTICS` for the test split (the
    name it always had), ``diagnostics-<split>.json`` for the others, so evaluating one split keeps the others'."""
    return DIAGNOSTICS if split == "test" else f"diagnostics-{split}.json"


def split_file(rel: str, split: str) -> str:
    """A figure input (relative path) for ``split``: ``{split}`` filled in; :data:`DIAGNOSTICS` means the split's."""
    return diagnostics_file(split) if rel == DIAGNOSTICS else rel.format(split=split)


def arrays_file(name: str) -> str:
    """The path of a figure-data file relative to the run directory: ``arrays/<name>.npz``."""
    return f"{ARRAYS}/{name}.npz"


@dataclass(frozen=True)
class RunLayout:
    """The files of one run directory; ``RunLayout(path).diagnostics`` is ``path/diagnostics.json``."""

    root: Path

    def __post_init__(self):
        object.__setattr__(self, "root", Path(self.root))

    @property
    def config(self) -> Path:
        return self.root / CONFIG

    @property
    def metrics(self) -> Path:
        return self.root / METRICS

    @property
    def summary(self) -> Path:
        return self.root / SUMMARY

    @property
    def diagnostics(self) -> Path:
        """The test split's diagnostics (``diagnostics_of("test")``)."""
        return self.root / DIAGNOSTICS

    def diagnostics_of(self, split: str) -> Path:
        """``diagnostics.json`` for the test split, ``diagnostics-<split>.json`` for the others."""
        return self.root / diagnostics_file(split)

    @property
    def vocabulary(self) -> Path:
        return self.root / VOCABULARY

    @property
    def inputs(self) -> Path:
        """The arrays a run was given in memory (``vaelab.train(data=x)``), which its config names."""
        return self.root / INPUTS

    @property
    def checkpoints(self) -> Path:
        return self.root / CHECKPOINTS

    @property
    def plots(self) -> Path:
        return self.root / PLOTS

    @property
    def tensorboard(self) -> Path:
        """``tb/``: the TensorBoard event files of ``train.loggers: [tensorboard]``."""
        return self.root / TENSORBOARD

    @property
    def tracking(self) -> Path:
        """``tracking.json``: where the run's trackers are (the MLflow run id), for resume and later commands."""
        return self.root / TRACKING

    @property
    def samples(self) -> Path:
        return self.root / SAMPLES

    def arrays(self, name: str) -> Path:
        """``arrays/<name>.npz``."""
        return self.root / arrays_file(name)

    def plot(self, name: str) -> Path:
        """``plots/<name>.png``."""
        return self.plots / f"{name}.png"

    def sampler(self, name: str) -> Path:
        """``samplers/<name>/``: one fitted sampler."""
        return self.root / SAMPLERS / name

    def lso(self, folder: str) -> Path:
        """``lso/<folder>/``: one latent space optimisation (a property, or ``match``)."""
        return self.root / LSO / folder

    def is_run(self) -> bool:
        """A run directory is a folder with a config.yaml (training writes it before the first epoch)."""
        return self.config.is_file()


SWEEP_FILE = "sweep.yaml"
RESULTS = "results.csv"
SWEEP_FIGURE = "sweep.png"
RUNS = "runs"
REPRODUCTION = "reproduction.json"  # a reproduce study's record, at the top of its folder


@dataclass(frozen=True)
class SweepLayout:
    """The files of one sweep directory; ``SweepLayout(path).run("beta-1_seed-0")`` is a trial's run directory."""

    root: Path

    def __post_init__(self):
        object.__setattr__(self, "root", Path(self.root))

    @property
    def spec(self) -> Path:
        return self.root / SWEEP_FILE

    @property
    def results(self) -> Path:
        return self.root / RESULTS

    @property
    def figure(self) -> Path:
        return self.root / SWEEP_FIGURE

    @property
    def runs(self) -> Path:
        return self.root / RUNS

    def run(self, trial: str) -> Path:
        """``runs/<trial>/``: the trial's run directory."""
        return self.runs / trial

    def is_sweep(self) -> bool:
        """A sweep directory is a folder with a sweep.yaml (written before any trial starts)."""
        return self.spec.is_file()


def require_run(path) -> RunLayout:
    """The layout of the run directory ``path``; CheckpointError, naming the fix, when it is not one."""
    layout = RunLayout(Path(path))
    if not layout.is_run():
        raise CheckpointError(f"'{layout.root}' is not a run directory (it has no config.yaml); "
                              "pass the folder that `vaelab train` wrote")
    return layout


def owning_run(path) -> Path | None:
    """The innermost run directory that holds ``path`` (or is it), through symbolic links; None outside any run."""
    resolved = Path(path).expanduser().resolve()
    return next((d for d in (resolved, *resolved.parents) if RunLayout(d).is_run()), None)


def check_writable_in(run_root, path) -> None:
    """Refuse to write ``path`` for the run ``run_root`` when it lies in another run directory, or among the files
    that training writes (config.yaml, metrics.jsonl, summary.json, vocabulary.json, checkpoints/)."""
    owner, own = owning_run(path), Path(run_root).expanduser().resolve()
    if owner is not None and owner != own:
        raise VaelabError(f"'{path}' lies in the run directory {owner}, not in {run_root}: writing there would "
                          "change another run's files; choose a folder outside it")
    if owner is not None:
        parts = Path(path).expanduser().resolve().relative_to(owner).parts
        if parts and parts[0] in TRAINING_FILES:
            raise VaelabError(f"'{path}' is among the files that training writes in {run_root} ({parts[0]}); "
                              "choose another folder")
