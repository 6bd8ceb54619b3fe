"""What ``vaelab explore`` holds in memory: each run's model, the codes of the examples it shows, and the maps.

:func:`load_session` opens the run directories (read only: nothing is ever written
there), encodes up to ``max_points`` examples of the chosen split once, and keeps per
run what the panels need: the codes, their labels or molecule properties, the activity
and KL of each latent dimension (for the sliders), and a renderer. Maps are fitted on
first use and kept (:mod:`vaelab.explorer.projection`). The model stays in eval mode
and every call runs under ``torch.no_grad`` (inside :class:`~vaelab.rundir.Run`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from vaelab.data.groups import group_labels
from vaelab.diagnostics.activity import active_units
from vaelab.errors import DataError
from vaelab.explorer.defaults import MAX_POINTS
from vaelab.explorer.projection import MapProjection, fit_projection, nearest_rows
from vaelab.explorer.render import ImageRenderer, MoleculeRenderer
from vaelab.explorer.samplers import available, explore_sampler, sampler_note
from vaelab.rundir import load_run

MOLECULE_PROPERTIES = ("logp", "qed", "sa")  # RDKit properties a molecule map can be coloured by
MIN_BOUND = 1e3  # every code coordinate a request sends must be within ±max(this, 10 x the largest code)


@dataclass
class Colouring:
    """How a map colours its points: a category per example (labels, clusters) or a number (a property)."""

    key: str
    label: str
    kind: str  # "categorical" or "continuous"
    values: np.ndarray  # (n,) ints or floats (NaN where unknown)
    names: list[str] | None = None  # category names, when the data has them

    def as_json(self) -> dict:
        values = [None if np.isnan(v) else round(float(v), 4) for v in self.values] if self.kind == "continuous" \
            else [int(v) for v in self.values]
        return {"key": self.key, "label": self.label, "kind": self.kind, "values": values, "names": self.names}


class RunState:
    """One loaded run and the examples of ``split`` its map shows (``rows``: their indices in the split)."""

    def __init__(self, run, name: str, split: str, rows: np.ndarray):
        self.run, self.name, self.split, self.rows = run, name, split, rows
        self.molecules = run.kind == "tokens"
        mu, logvar = run.encode_posterior(split, rows)  # (n, d), (n, d) or None
        self.codes = mu.cpu().numpy().astype(np.float64)  # (n, d)
        self.dim = self.codes.shape[1]
        self.activity = np.asarray(active_units(mu)["activity_per_dim"])  # (d,), Burda et al. 2016
        self.order = np.argsort(-self.activity, kind="stable")  # most active first
        self.kl = _kl_per_dim(run, mu, logvar)  # (d,) or None
        self.bound = float(max(MIN_BOUND, 10 * np.abs(self.codes).max(initial=0.0)))
        self.ranges = _slider_ranges(self.codes, getattr(run.model, "has_prior", True))  # (d, 2)
        self.samplers = available(run)
        self._fitted: dict[str, object] = {}
        self.colourings = self._colourings()
        self.renderer = MoleculeRenderer() if self.molecules else ImageRenderer(
            self._x(rows), tuple(run.meta["event_shape"]), run.kind)

    # -- data ----------------------------------------------------------------------------
    @property
    def conditional(self) -> bool:
        return bool(self.run.model.side_inputs)

    def _x(self, rows) -> np.ndarray:
        return self.run.data.split(self.split).x[torch.as_tensor(rows)].cpu().numpy()  # (m, *event)

    def _smiles(self, rows) -> list[str]:
        return [str(self.run.data.info["smiles"][self.split][int(r)]) for r in rows]

    def _colourings(self) -> dict[str, Colouring]:
        ids, name, names = group_labels(self.run.data, self.split, seed=self.run.config.data.split_seed)
        out = {"label": Colouring("label", str(name), "categorical", ids[self.rows], names)}
        if self.molecules:
            from vaelab.views.molecules import property_table

            table, props, units = property_table(self._smiles(self.rows), self.run.data.info, self.split, self.rows,
                                                 MOLECULE_PROPERTIES)  # (n, P)
            for j, (prop, unit) in enumerate(zip(props, units)):
                label = f"{prop} ({unit})" if unit else prop
                out[prop] = Colouring(prop, label, "continuous", table[:, j].astype(np.float64))
        return out

    @property
    def default_colour(self) -> str:
        """The dataset's score or logP for molecules (their k-means clusters of tokens say little), else labels."""
        score = self.run.data.info.get("score") if self.molecules else None
        for key in (score, "logp"):
            if key in self.colourings and self.molecules:
                return key
        return "label"

    # -- the model -----------------------------------------------------------------------
    def _side(self, z: np.ndarray) -> dict | None:
        """Side inputs of a conditional model (labels): those of the example whose code is nearest each code."""
        if not self.conditional:
            return None
        idx = torch.as_tensor(self.rows[nearest_rows(self.codes, z)], device=self.run.device)  # (m,)
        return {k: v[idx] for k, v in self.run.eval_side(self.split).items()}

    def decode(self, z: np.ndarray) -> list[dict]:
        """Decode codes z (m, d): per code ``{"image"}`` (likelihood mean) or ``{"smiles", "valid", "image"}``
        (greedy decoding)."""
        zt = torch.as_tensor(np.asarray(z, dtype=np.float32), device=self.run.device)  # (m, d)
        if self.molecules:
            from vaelab.views.molecules import decode_molecules

            smiles, valid = decode_molecules(self.run, zt)
            return self.renderer.items(smiles, valid)
        x = self.run.decode_means(zt, self._side(np.asarray(z, dtype=np.float64)))  # (m, *event)
        return self.renderer.items(x.cpu().numpy())

    def example(self, i: int) -> dict:
        """The i-th example on the map as data: its picture (or molecule), label and properties."""
        row = int(self.rows[i])
        item = self.renderer.items(self._smiles([row]))[0] if self.molecules else self.renderer.items(self._x([row]))[0]
        values = {}
        for c in self.colourings.values():
            v = c.values[i]
            values[c.label] = (c.names[int(v)] if c.names and 0 <= int(v) < len(c.names) else int(v)) \
                if c.kind == "categorical" else (None if np.isnan(v) else round(float(v), 4))
        return {**item, "example": i, "split_row": row, "values": values}

    def sample(self, name: str, n: int, seed: int) -> tuple[np.ndarray, str]:
        """n codes (n, d) from the sampler ``name`` (see :mod:`vaelab.explorer.samplers`), and where its fit is."""
        if name not in self._fitted:
            self._fitted[name] = explore_sampler(self.run, name, seed=0)
        sampler = self._fitted[name]
        z = sampler.sample(n, seed=seed).cpu().numpy().astype(np.float64)  # (n, d)
        return z, sampler_note(sampler)

    def info(self) -> dict:
        cfg = self.run.config
        dims = [{"dim": int(k), "activity": float(self.activity[k]), "collapsed": bool(self.activity[k] <= 0.01),
                 "kl": None if self.kl is None else float(self.kl[k]),
                 "lo": float(self.ranges[k, 0]), "hi": float(self.ranges[k, 1])} for k in self.order]
        return {"name": self.name, "model": cfg.model.name, "data": cfg.data.name, "kind": self.renderer.kind,
                "latent_dim": self.dim, "split": self.split, "examples": len(self.rows),
                "split_size": len(self.run.data.split(self.split)), "checkpoint": self.run.checkpoint,
                "has_prior": bool(getattr(self.run.model, "has_prior", True)), "conditional": self.conditional,
                "samplers": self.samplers, "colours": [{"key": c.key, "label": c.label} for c in self.colourings.values()],
                "default_colour": self.default_colour, "dims": dims, "bound": self.bound,
                "mean_code": self.codes.mean(axis=0).tolist()}


def _kl_per_dim(run, mu: torch.Tensor, logvar) -> np.ndarray | None:
    """Mean KL(q(z_k|x) || p(z_k)) per dimension over the shown examples (Kingma & Welling 2013, app. B); None
    for a deterministic encoder or a model without a prior."""
    if logvar is None or not getattr(run.model, "has_prior", True):
        return None
    from vaelab.distributions.base import DiagonalGaussian
    from vaelab.distributions.kl import kl_divergence

    try:
        kl = kl_divergence(DiagonalGaussian(mu, logvar), run.model.prior)  # (n, d)
    except NotImplementedError:
        return None
    return kl.mean(dim=0).cpu().numpy().astype(np.float64)


def _slider_ranges(codes: np.ndarray, has_prior: bool) -> np.ndarray:
    """Each dimension's slider range (d, 2): the codes' span, widened to ±3 prior units around 0 for models with
    a prior (so a collapsed dimension can still be moved) or to ±3 standard deviations of the codes."""
    lo, hi = codes.min(axis=0), codes.max(axis=0)  # (d,)
    centre = np.zeros_like(lo) if has_prior else codes.mean(axis=0)
    scale = np.ones_like(lo) if has_prior else np.maximum(codes.std(axis=0), 1e-3)
    lo, hi = np.minimum(lo, centre - 3 * scale), np.maximum(hi, centre + 3 * scale)
    pad = 0.05 * (hi - lo)
    return np.stack([lo - pad, hi + pad], axis=1)


class ExploreSession:
    """The runs of one ``vaelab explore`` and their maps.

    ``linked``: the runs show the same examples (same data, same split size), so an
    example chosen in one is shown in all. ``joint``: their latent dimensions agree, so
    they share one map (one PCA or t-SNE fitted to all their codes).
    """

    def __init__(self, runs: list[RunState], export_dir: Path | None = None, seed: int = 0):
        self.runs, self.export_dir, self.seed = runs, export_dir, seed
        self.linked = len(runs) > 1 and _same_examples(runs)
        self.joint = len({r.dim for r in runs}) == 1
        self._maps: dict[str, list[tuple[MapProjection, int]]] = {}
        self.lock = threading.Lock()  # one model call or map fit at a time

    def projection(self, r: int, method: str) -> tuple[MapProjection, int]:
        """Run r's map for ``method`` (``pca`` or ``tsne``), fitted on first use: (map, the run's index in it)."""
        if method not in self._maps:
            if self.joint:
                shared = fit_projection([s.codes for s in self.runs], method, self.seed)
                self._maps[method] = [(shared, i) for i in range(len(self.runs))]
            else:
                self._maps[method] = [(fit_projection([s.codes], method, self.seed), 0) for s in self.runs]
        return self._maps[method][r]

    def info(self) -> dict:
        return {"runs": [r.info() for r in self.runs], "linked": self.linked, "joint": self.joint,
                "export": self.export_dir is not None}


def _same_examples(runs: list[RunState]) -> bool:
    first = runs[0]
    return all(r.run.config.data.model_dump() == first.run.config.data.model_dump() and r.split == first.split
               and len(r.rows) == len(first.rows) and np.array_equal(r.rows, first.rows) for r in runs[1:])


def run_names(paths: list[Path]) -> list[str]:
    """Short names for the runs: their folder names, with the parent folder where two would look alike."""
    names = [p.name for p in paths]
    if len(set(names)) < len(names):
        names = [f"{p.parent.name}/{p.name}" for p in paths]
    return names if len(set(names)) == len(names) else [f"{i + 1}: {n}" for i, n in enumerate(names)]


def shown_rows(n: int, max_points: int, seed: int = 0) -> np.ndarray:
    """The examples a map shows: all n, or a sorted random ``max_points`` of them."""
    if n <= max_points:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=max_points, replace=False))


def load_session(run_dirs, split: str = "test", *, max_points: int = MAX_POINTS, checkpoint: str = "best",
                 device: str = "auto", export_dir=None, seed: int = 0) -> ExploreSession:
    """Open the runs (read only) and encode the examples their maps show."""
    paths = [Path(p) for p in run_dirs]
    runs = [load_run(p, checkpoint=checkpoint, device=device) for p in paths]
    states = []
    for run, name in zip(runs, run_names([r.path for r in runs])):
        n = len(run.data.split(split))
        if n < 2:
            raise DataError(f"the {split} split of '{run.path}' has {n} example(s); the map needs at least 2: "
                            "choose another split with --split")
        states.append(RunState(run, name, split, shown_rows(n, max_points, seed)))
    return ExploreSession(states, None if export_dir is None else Path(export_dir), seed)
