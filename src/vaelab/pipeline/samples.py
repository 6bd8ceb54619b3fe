"""Draw n samples with a named sampler and write them: ``<out>/<sampler>-<n>-seed<S>.npz`` and ``.png``.

Image runs get the decoded likelihood means and a grid of them. Token (molecule) runs
get the decoded SMILES: ``.smi`` (one per line, line i for sample i), the strings and
their validity in the ``.npz``, and a grid of the drawn molecules when RDKit is there.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from vaelab.chem.decode import canonical_or_decoded
from vaelab.chem.deps import MissingExtra
from vaelab.errors import ConfigError
from vaelab.fileio import atomic_write_text, load_npz, out_folder, save_npz
from vaelab.pipeline.writer import writing
from vaelab.plots.errors import FigureNotApplicable
from vaelab.plots.images import layout_of
from vaelab.plots.inputs import save_png
from vaelab.plots.molecule_strips import draw_molecule_samples
from vaelab.plots.samples import draw_samples
from vaelab.plots.style import RC
from vaelab.progress import stage
from vaelab.sampling.base import Sampler
from vaelab.sampling.store import fitted_sampler
from vaelab.views import prior_side

IMAGE_LAYOUTS = ("grey", "rgb", "channels")  # plots.images layouts that are pictures of the data
MAX_GRID = 256  # the PNG shows at most this many samples (16 x 16)
MOLECULE_GRID = 64  # the PNG of a token run draws at most this many molecules (8 x 8)
NO_RDKIT = "RDKit is not installed: no validity and no PNG (the SMILES are in the .smi file)"


@dataclass
class SampleResult:
    """What :func:`write_samples` drew and wrote; ``png`` is None when there is no picture (then see why)."""

    sampler: Sampler
    z: np.ndarray  # (n, d) codes
    x: np.ndarray  # (n, *event_shape) decoded likelihood means; token runs: (n,) decoded SMILES
    npz: Path
    png: Path | None
    png_skipped: str | None = None  # why there is no PNG
    smi: Path | None = None  # token runs: the SMILES, one per line
    molecules: dict | None = None  # token runs: {"n", "valid", "unique"} (valid and unique None without RDKit)

    @property
    def files(self) -> list[Path]:
        """The files written, in the order they are listed."""
        return [p for p in (self.smi, self.npz, self.png) if p is not None]


def sample_stem(sampler: str, n: int, seed: int) -> str:
    return f"{sampler}-{n}-seed{seed}"


@dataclass(frozen=True)
class SampleFiles:
    """The files of one draw: ``<folder>/<stem>.npz``, ``.png`` and (token runs) ``.smi``."""

    folder: Path
    stem: str

    @property
    def npz(self) -> Path:
        return self.folder / f"{self.stem}.npz"

    @property
    def png(self) -> Path:
        return self.folder / f"{self.stem}.png"

    @property
    def smi(self) -> Path:
        return self.folder / f"{self.stem}.smi"


def _not_an_image(event_shape: tuple[int, ...], kind: str) -> str | None:
    """Why a grid of these items would not be a picture of the data, or None when it would."""
    if kind == "tokens":
        return "token data has no pixels: no PNG (the samples are in the .npz)"
    if layout_of(event_shape) not in IMAGE_LAYOUTS:
        return f"the data are {tuple(event_shape)} vectors, not images: no PNG (the samples are in the .npz)"
    return None


def draw_grid(path: Path, x: np.ndarray, event_shape, kind: str, title: str) -> tuple[Path | None, str | None]:
    """A grid PNG of the first :data:`MAX_GRID` items through the ``samples`` figure; (path, None) or (None, why)."""
    import matplotlib


    why = _not_an_image(tuple(event_shape), kind)
    if why:
        return None, why
    arrays = {"x": x, "event_shape": np.asarray(event_shape, dtype=np.int64), "kind": np.asarray(kind)}
    fig = draw_samples(arrays, max_items=MAX_GRID)
    with matplotlib.rc_context(RC):  # the title is set outside draw_samples: keep the figure style
        fig.axes[0].set_title(title)
    save_png(fig, path)
    fig.clear()
    return Path(path), None


def write_samples(run, sampler: str = "prior", n: int = 64, seed: int = 0, options: dict | None = None,
                  refit: bool = False, out=None, progress: bool = True) -> SampleResult:
    """Draw n codes with ``sampler`` (fitted or loaded by :func:`fitted_sampler`), decode and write them.

    ``out`` (default ``RUN_DIR/samples``) receives ``<sampler>-<n>-seed<S>.npz`` with
    ``z`` (n, d) float32 codes, ``event_shape``, ``kind``, ``sampler`` and ``seed``
    (plain arrays, no pickle) and the decoded samples: ``x`` (n, *event_shape) float32
    likelihood means and a PNG grid of the same name for image data; for token runs
    ``smiles`` (n,) (RDKit canonical where valid, else as decoded) and ``valid`` (n,),
    the same strings in ``<stem>.smi`` and a PNG of the drawn molecules. ``out`` is
    checked before anything is computed; it may not lie in another run directory.
    The run's lock is held while the sampler is fitted and the files written.
    """
    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1:
        raise ConfigError(f"the number of samples must be a positive integer, got {n!r}")
    out = Path(out) if out is not None else run.layout.samples
    with writing(run, out, run.layout.sampler(sampler)):
        files = SampleFiles(out_folder(out), sample_stem(sampler, n, seed))
        with stage(f"sample: the {sampler} sampler (fitted once, then reused)", progress):
            s = fitted_sampler(run, sampler, options=options, refit=refit, progress=progress)
        with stage(f"sample: {n} codes decoded", progress):
            z = s.sample(n, seed=seed)  # (n, d)
            if run.meta["kind"] == "tokens":
                return _write_molecules(run, s, z.float().cpu().numpy(), files, seed)
            x = run.decode_means(z, side=prior_side(run, n)).float().cpu().numpy()  # (n, *event); labels cycle
        return _write_images(run, s, z.float().cpu().numpy(), x, files, seed)


def _npz_fields(run, s: Sampler, z: np.ndarray, seed: int) -> dict:
    """What every samples .npz holds besides the decoded samples."""
    return {"z": z, "event_shape": np.asarray(run.meta["event_shape"], dtype=np.int64),
            "kind": np.asarray(run.meta["kind"]), "sampler": np.asarray(s.name), "seed": np.asarray(seed, np.int64)}


def _write_images(run, s: Sampler, z: np.ndarray, x: np.ndarray, files: SampleFiles, seed: int) -> SampleResult:
    """``<stem>.npz`` with the likelihood means ``x``, and their grid when they are images."""
    npz = save_npz(files.npz, {"x": x, **_npz_fields(run, s, z, seed)})
    n = len(x)
    shown = f"{n}" if n <= MAX_GRID else f"the first {MAX_GRID} of {n}"
    png, why = draw_grid(files.png, x, tuple(run.meta["event_shape"]), run.meta["kind"],
                         f"Samples, sampler '{s.name}' (seed {seed}; {shown} draws; likelihood mean)")
    return SampleResult(s, z, x, npz, png, why)


def decoded_molecules(run, z: np.ndarray) -> tuple[list[str], np.ndarray | None]:
    """A token run's greedy decoding of codes z (n, d): (strings, valid (n,) bool, or None without RDKit).

    Valid strings are RDKit canonical SMILES; the others are kept as decoded.
    """
    texts, smiles = run.decode_texts(torch.as_tensor(z))
    try:
        strings, valid = canonical_or_decoded(smiles, texts)
    except MissingExtra:  # no RDKit: the strings as decoded, validity unknown
        return [m if m is not None else t for m, t in zip(smiles, texts)], None
    return strings, valid


def molecule_counts(strings: list[str], valid: np.ndarray | None) -> dict:
    """``{"n", "valid", "unique"}``: samples, valid molecules, distinct valid ones (None without RDKit)."""
    if valid is None:
        return {"n": len(strings), "valid": None, "unique": None}
    return {"n": len(strings), "valid": int(valid.sum()), "unique": len({s for s, ok in zip(strings, valid) if ok})}


def _write_molecules(run, s: Sampler, z: np.ndarray, files: SampleFiles, seed: int) -> SampleResult:
    """``<stem>.smi`` (one SMILES per line), ``<stem>.npz`` with ``smiles`` and ``valid``, and the drawn grid."""
    strings, valid = decoded_molecules(run, z)
    atomic_write_text(files.smi, "".join(f"{line}\n" for line in strings))
    arrays = {"smiles": np.asarray(strings, dtype=str), **_npz_fields(run, s, z, seed),
              **({} if valid is None else {"valid": valid})}
    npz = save_npz(files.npz, arrays)
    png, why = (None, NO_RDKIT) if valid is None else draw_molecule_grid(files.png, arrays)
    return SampleResult(s, z, arrays["smiles"], npz, png, why, files.smi, molecule_counts(strings, valid))


def draw_molecule_grid(path: Path, arrays: dict) -> tuple[Path | None, str | None]:
    """The first :data:`MOLECULE_GRID` molecules drawn in a grid PNG; (path, None), or (None, why) without RDKit."""
    try:
        fig = draw_molecule_samples(arrays, max_items=MOLECULE_GRID)
    except FigureNotApplicable as why:
        return None, f"{why}: no PNG (the SMILES are in the .smi file)"
    save_png(fig, path)
    fig.clear()
    return Path(path), None


def load_samples(path) -> dict[str, np.ndarray]:
    """The arrays of a samples .npz (pickled arrays refused)."""
    return load_npz(path)
