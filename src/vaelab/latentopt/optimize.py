"""Property optimisation in latent space, end to end: predictor -> starts -> ascent -> decode and check -> report.

Gómez-Bombarelli et al. 2018 (ACS Cent. Sci. 4:268, "Optimization of molecules via
properties"): fit a predictor of a property on the latent codes, follow its gradient
from the codes of poor molecules, decode along the way. Everything lands in
``RUN_DIR/lso/<property>/``: ``predictor.safetensors`` + ``predictor.json`` (reused),
``result.json``, ``summary.md``, ``paths.npz`` and ``paths.png``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from vaelab.errors import ConfigError
from vaelab.latentopt import targets as tg
from vaelab.latentopt.ascent import AscentPath, ascend
from vaelab.latentopt.molecules import PathCheck, check_points
from vaelab.latentopt.settings import PROPERTY
from vaelab.latentopt.predictor_store import fitted_predictor, lso_dir
from vaelab.latentopt.report import property_summary, write_property_files
from vaelab.latentopt.starts import Starts, check_starts, choose_starts
from vaelab.views import prior_side


@dataclass
class PropertyResult:
    """What :func:`optimize_property` did: the summary written to ``result.json`` and the files."""

    summary: dict
    folder: Path
    path: AscentPath
    starts: Starts
    predicted: torch.Tensor  # (steps + 1, K) the predicted property in its own units
    check: PathCheck | None
    images: dict | None = None  # image runs: decoded points of the paths (paths_images.png)
    files: list[Path] = field(default_factory=list)


def _direction(target: tg.PropertyTarget, direction: str | None) -> str:
    direction = direction or ("minimize" if target.name in tg.SMALLER_IS_BETTER else "maximize")
    if direction not in ("maximize", "minimize"):
        raise ConfigError(f"direction must be maximize or minimize, got '{direction}'")
    return direction


def _max_norm(value, record: dict, penalty_on: str) -> float | None:
    """``auto``: the training codes' largest distance (Mahalanobis for ``codes``, ||z|| for ``prior``)."""
    if value == "auto":
        return float(record["code_mahalanobis_max" if penalty_on == "codes" else "code_norm_max"])
    if value is None or float(value) <= 0:
        return None
    return float(value)


PENALTY_ON = {"codes": "lambda/2 (z - mu)^T Sigma^-1 (z - mu), a full-covariance Gaussian fitted to the training "
                       "codes; the ascent runs in its whitened coordinates, so lr and the ball are in units of "
                       "the codes' spread",
              "prior": "lambda/2 ||z||², the standard normal prior; the ascent runs on z itself, each "
                       "coordinate kept within the training codes' range (box)"}


def _check_penalty_on(penalty_on: str) -> None:
    if penalty_on not in PENALTY_ON:
        raise ConfigError(f"unknown penalty_on '{penalty_on}'; choose {', '.join(PENALTY_ON)}")


def _ascend(score, z0: torch.Tensor, stats, penalty_on: str, box: bool, **options) -> AscentPath:
    """The ascent on z itself (``prior``) or in the codes' whitened coordinates (``codes``); the path in z."""
    if penalty_on == "prior":
        return ascend(score, z0, box=stats.box if box else None, **options)
    path = ascend(lambda u: score(stats.codes(u)), stats.whitened(z0), **options)  # (steps + 1, K, d) in u
    return replace(path, z=stats.to("cpu").codes(path.z))  # norm stays the Mahalanobis distance the ball bounds


def check_steps(steps: int, checks: int) -> np.ndarray:
    """About ``checks`` evenly spaced steps from 0 to ``steps``, both included: (C,) int64."""
    return np.unique(np.linspace(0, steps, max(2, min(checks, steps) + 1)).round().astype(np.int64))


def _check(run, target, path: AscentPath, checks: int) -> PathCheck | None:
    if not tg.is_molecule_run(run):
        return None
    at = check_steps(path.steps, checks)
    z = path.z[torch.as_tensor(at)].to(run.device)  # (C, K, d)
    return check_points(run.decode_smiles, z, at, target.name if target.checkable else None)


IMAGE_STEPS = 8  # decoded points per path in paths_images.png
IMAGE_PATHS = 8  # paths shown there


def _images(run, path: AscentPath) -> dict | None:
    """Image runs: the likelihood means at a few steps of the first paths, for ``paths_images.png``."""
    if tg.is_molecule_run(run) or run.data.kind == "tokens":
        return None
    at = check_steps(path.steps, IMAGE_STEPS - 1)  # (C,)
    z = path.z[torch.as_tensor(at), :IMAGE_PATHS]  # (C, k, d)
    x = run.decode_means(z.reshape(-1, z.shape[-1]), side=prior_side(run, z.shape[0] * z.shape[1]))  # (C*k, *event)
    x_path = x.reshape(*z.shape[:2], *x.shape[1:]).float().cpu().numpy().astype("float16")  # (C, k, *event)
    return {"image_steps": at, "x_path": x_path,
            "event_shape": np.asarray(run.meta["event_shape"], dtype=np.int64), "kind": np.asarray(run.data.kind)}


def optimize_property(run, name: str, *, starts: int = PROPERTY.starts, start: str = PROPERTY.start,
                      steps: int = PROPERTY.steps, lr: float = PROPERTY.lr, penalty: float = PROPERTY.penalty,
                      penalty_on: str = PROPERTY.penalty_on, max_norm=PROPERTY.max_norm, box: bool = PROPERTY.box,
                      direction: str | None = PROPERTY.direction, seed: int = 0, refit: bool = False,
                      checks: int = 50, predictor_options: dict | None = None, progress: bool = True) -> PropertyResult:
    """Optimise the property ``name`` in ``run``'s latent space; see the module docstring and docs/lso.md.

    The ascent maximises the standardised prediction (times -1 to minimise) minus
    ``penalty`` * ½ ||.||² with Adam (``lr``) for ``steps`` steps from ``starts`` codes
    chosen by ``start`` (:data:`vaelab.latentopt.starts.START_KINDS`), in one of two spaces
    (:data:`PENALTY_ON`): ``codes`` (default), the whitened coordinates of a Gaussian
    fitted to the training codes, so the penalty is that Gaussian's log-density; or
    ``prior``, z itself with the prior's log-density, each coordinate kept within the
    training codes' range (``box``). ``max_norm`` bounds the distance in that space
    (``auto``: the training codes' largest; None: no bound). Molecule runs
    decode ``checks`` evenly spaced steps of every path and check them with RDKit.
    """
    if steps < 1 or lr <= 0 or penalty < 0:
        raise ConfigError(f"--steps must be >= 1, --lr > 0 and --penalty >= 0; got {steps}, {lr}, {penalty}")
    target = tg.resolve(run, name)
    direction = _direction(target, direction)
    _check_penalty_on(penalty_on)  # before any fitting
    check_starts(run, starts, start)  # before the predictor is fitted
    sign = 1.0 if direction == "maximize" else -1.0
    fit = fitted_predictor(run, target, predictor_options, refit=refit, progress=progress)
    predictor, record = fit.model, fit.record
    score = lambda z: sign * predictor.standardised(z)  # noqa: E731 (K, d) -> (K,), in training-target SDs
    chosen = choose_starts(run, score, starts, start, seed)
    bound = _max_norm(max_norm, record, penalty_on)
    path = _ascend(score, chosen.z, fit.stats, penalty_on, box, steps=steps, lr=lr, penalty=penalty, max_norm=bound,
                   progress=progress)
    predicted = sign * path.score * float(predictor.y_std) + float(predictor.y_mean)  # (steps + 1, K)
    check = _check(run, target, path, checks)
    settings = {"starts": starts, "start": start, "steps": steps, "lr": lr, "penalty": penalty,
                "penalty_on": penalty_on, "max_norm": bound, "box": box and penalty_on == "prior",
                "direction": direction, "seed": seed, "checks": checks}
    summary = property_summary(target, record, fit.fitted_now, settings, chosen, path, predicted, check)
    folder = lso_dir(run, target)
    result = PropertyResult(summary, folder, path, chosen, predicted, check, images=_images(run, path))
    result.files = write_property_files(run, result)
    return result
