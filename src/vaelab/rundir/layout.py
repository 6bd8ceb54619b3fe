"""Where each file of a run directory lives: every name is defined here once.

::

    RUN_DIR/
      config.yaml        the fully resolved config          (vaelab train)
      metrics.jsonl      one record per epoch               (vaelab train)
      checkpoints/       latest.json + epoch_NNNN/ folders  (vaelab train; rundir.checkpoint)
      summary.json       status, final and best figures     (vaelab train)
      vocabulary.json    token runs: the tokenizer's vocabulary
      inputs.npz         the arrays given to vaelab.train(data=...) (dataset array)
      diagnostics.json   (vaelab evaluate)
      arrays/<name>.npz  figure data                        (vaelab evaluate / plot)
      plots/<name>.png   figures                            (vaelab plot)
      samplers/<name>/   fitted ex-post densities           (vaelab sample / evaluate)
      samples/           <sampler>-<n>-seed<S>.{npz,png}     (vaelab sample)
      lso/<folder>/      latent space optimisation results  (vaelab lso)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CONFIG = "config.yaml"
METRICS = "metrics.jsonl"
SUMMARY = "summary.json"
DIAGNOSTICS = "diagnostics.json"
VOCABULARY = "vocabulary.json"
INPUTS = "inputs.npz"
CHECKPOINTS = "checkpoints"
ARRAYS = "arrays"
PLOTS = "plots"
SAMPLERS = "samplers"
SAMPLES = "samples"
LSO = "lso"


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
        return self.root / DIAGNOSTICS

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
