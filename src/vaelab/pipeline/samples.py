"""Draw n samples with a named sampler and write them: ``<out>/<sampler>-<n>-seed<S>.npz`` and ``.png``."""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vaelab.errors import ConfigError
from vaelab.fileio import load_npz, save_npz
from vaelab.progress import stage
from vaelab.plots.images import layout_of
from vaelab.plots.inputs import save_png
from vaelab.plots.samples import draw_samples
from vaelab.plots.style import RC
from vaelab.sampling.base import Sampler
from vaelab.sampling.store import fitted_sampler
from vaelab.views import prior_side

IMAGE_LAYOUTS = ("grey", "rgb", "channels")  # plots.images layouts that are pictures of the data
MAX_GRID = 256  # the PNG shows at most this many samples (16 x 16)


@dataclass
class SampleResult:
    """What :func:`write_samples` drew and wrote; ``png`` is None for data that are not images (then see why)."""

    sampler: Sampler
    z: np.ndarray  # (n, d) codes
    x: np.ndarray  # (n, *event_shape) decoded likelihood means
    npz: Path
    png: Path | None
    png_skipped: str | None = None  # why there is no PNG


def sample_stem(sampler: str, n: int, seed: int) -> str:
    return f"{sampler}-{n}-seed{seed}"


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
    ``x`` (n, *event_shape) float32 likelihood means, ``z`` (n, d) float32 codes,
    ``event_shape``, ``kind``, ``sampler`` and ``seed`` (plain arrays, no pickle), and
    a PNG grid of the same name for image data.
    """
    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1:
        raise ConfigError(f"the number of samples must be a positive integer, got {n!r}")
    with stage(f"sample: the {sampler} sampler (fitted once, then reused)", progress):
        s = fitted_sampler(run, sampler, options=options, refit=refit, progress=progress)
    with stage(f"sample: {n} codes decoded", progress):
        z = s.sample(n, seed=seed)  # (n, d)
        x = run.decode_means(z, side=prior_side(run, n)).float().cpu().numpy()  # (n, *event); labels cycle 0, 1, ...
    event_shape, kind = tuple(run.meta["event_shape"]), run.meta["kind"]
    out = Path(out) if out is not None else run.layout.samples
    stem = sample_stem(sampler, n, seed)
    npz = save_npz(out / f"{stem}.npz", {
        "x": x, "z": z.float().cpu().numpy(), "event_shape": np.asarray(event_shape, dtype=np.int64),
        "kind": np.asarray(kind), "sampler": np.asarray(sampler), "seed": np.asarray(seed, dtype=np.int64)})
    shown = f"{n}" if n <= MAX_GRID else f"the first {MAX_GRID} of {n}"
    png, why = draw_grid(out / f"{stem}.png", x, event_shape, kind,
                         f"Samples, sampler '{sampler}' (seed {seed}; {shown} draws; likelihood mean)")
    return SampleResult(s, z.float().cpu().numpy(), x, npz, png, why)


def load_samples(path) -> dict[str, np.ndarray]:
    """The arrays of a samples .npz (pickled arrays refused)."""
    return load_npz(path)
