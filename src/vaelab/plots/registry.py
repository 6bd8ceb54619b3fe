"""The figure registry and :func:`draw`: read a run directory's saved arrays, write ``plots/<kind>.png``.

:data:`FIGURES` is the one figure catalogue: each kind's drawing function, inputs, title
and caption, in reading order. ``vaelab plot``, the CLI's ``--kind`` choices and the
report's figure section all read it; a new figure is one entry here.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Callable, Iterable, Mapping, NamedTuple

from matplotlib.figure import Figure

from vaelab.plots.activity import draw_activity
from vaelab.plots.bubbles import draw_bubbles
from vaelab.plots.curves import draw_curves
from vaelab.plots.errors import FigureNotApplicable
from vaelab.plots.inputs import load_input, save_png, scalar_str
from vaelab.plots.interpolations import draw_interpolations
from vaelab.plots.lattice import draw_lattice
from vaelab.plots.molecule_map import draw_molecule_map
from vaelab.plots.molecule_strips import draw_molecule_interpolations, draw_molecule_traversals
from vaelab.plots.property_histograms import draw_property_histograms
from vaelab.plots.reconstructions import draw_reconstructions
from vaelab.plots.samples import draw_samples
from vaelab.plots.scatter import draw_latent_scatter
from vaelab.plots.style import DPI
from vaelab.plots.traversals import draw_traversals


class FigureSpec(NamedTuple):
    """A figure: its drawing function, its input files (relative to the run directory), its title and caption.

    The function takes the loaded inputs positionally, in this order (``.npz`` -> dict of
    arrays, ``.json`` -> dict, ``.jsonl`` -> list of dicts), plus keyword options.
    ``{split}`` in a path is filled in from the ``split`` option (default ``test``).
    ``title`` and ``caption`` are what a report shows above and under the figure.
    """

    draw: Callable[..., Figure]
    inputs: tuple[str, ...]
    title: str
    caption: str


#: Every figure, in reading order: training, the latent space, decoded data, then molecules. ``vaelab plot``
#: draws them in this order and ``vaelab report`` shows them in it.
FIGURES: dict[str, FigureSpec] = {
    "curves": FigureSpec(
        draw_curves, ("metrics.jsonl",), "Training curves",
        "Training curves: loss, reconstruction and KL per epoch, training and validation."),
    "activity": FigureSpec(
        draw_activity, ("diagnostics.json",), "Activity per dimension",
        "Per-dimension activity and KL, with the active-unit threshold."),
    "latent-scatter": FigureSpec(
        draw_latent_scatter, ("arrays/posterior_{split}.npz",), "Latent scatter",
        "Posterior means of test examples in two latent dimensions, coloured by group."),
    "bubbles": FigureSpec(
        draw_bubbles, ("arrays/posterior_{split}.npz",), "Posterior bubbles",
        "Posterior bubbles: each example's posterior N(\u03bc, \u03c3\u00b2) drawn as an ellipse, by group."),
    "reconstructions": FigureSpec(
        draw_reconstructions, ("arrays/reconstructions.npz",), "Reconstructions",
        "Test examples and their reconstructions from the posterior mean."),
    "samples": FigureSpec(
        draw_samples, ("arrays/samples.npz",), "Samples",
        "Decoded samples from the model's N-sampler: the prior p(z), or a Gaussian fitted to the training codes "
        "for models without a prior (RAE, AE)."),
    "traversals": FigureSpec(
        draw_traversals, ("arrays/traversals.npz",), "Traversals",
        "Latent traversals: one dimension varied at a time (most active first), the others fixed."),
    "interpolations": FigureSpec(
        draw_interpolations, ("arrays/interpolations.npz",), "Interpolations",
        "Decoded interpolations between test codes, and from the origin outwards."),
    "lattice": FigureSpec(
        draw_lattice, ("arrays/lattice.npz",), "Lattice",
        "Decoded lattice over two latent dimensions at prior quantiles."),
    # molecules (token runs; other runs' files hold the reason these are skipped)
    "molecule-map": FigureSpec(
        draw_molecule_map, ("arrays/molecule_map.npz",), "Molecule map",
        "Test molecules at their projected posterior means, coloured by a property, some drawn beside their "
        "points (the molecule article's figure)."),
    "molecule-traversals": FigureSpec(
        draw_molecule_traversals, ("arrays/molecule_traversals.npz",), "Molecule traversals",
        "The most active dimensions swept from -3 to 3, decoded to molecules; a red cross is an invalid SMILES."),
    "molecule-interpolations": FigureSpec(
        draw_molecule_interpolations, ("arrays/molecule_interpolations.npz",), "Molecule interpolations",
        "Linear and spherical paths between test molecules A and B (blue frames), decoded."),
    "property-histograms": FigureSpec(
        draw_property_histograms, ("arrays/property_histograms.npz",), "Property histograms",
        "logP, QED and SA score of valid decoded samples against the training molecules; the title gives the "
        "validity."),
}


class DrawResult(NamedTuple):
    """What :func:`draw` did: ``written`` PNG paths, and ``skipped`` ``(kind, reason)`` pairs."""

    written: list[Path]
    skipped: list[tuple[str, str]]


def figure_options(kind: str) -> dict[str, object]:
    """The keyword options of ``kind``'s drawing function, with their defaults."""
    params = inspect.signature(FIGURES[kind].draw).parameters.values()
    return {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}


def resolve_kinds(kinds: str | Iterable[str] | None) -> list[str]:
    """Requested kinds in order, without repeats; all kinds for None; ValueError for unknown names."""
    if kinds is None:
        return list(FIGURES)
    requested = [kinds] if isinstance(kinds, str) else list(kinds)
    unknown = [k for k in requested if k not in FIGURES]
    if unknown:
        raise ValueError(f"unknown figure kind(s) {', '.join(map(repr, unknown))}; "
                         f"valid kinds: {', '.join(FIGURES)}")
    return list(dict.fromkeys(requested))


def _check_options(kinds: list[str], options: dict) -> None:
    accepted = {name for kind in kinds for name in figure_options(kind)} | {"split"}
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(unknown)} for figure(s) {', '.join(kinds)}; "
                         f"valid options: {', '.join(sorted(accepted))}")


def draw(run_dir: str | Path, kinds: str | Iterable[str] | None = None, out_dir: str | Path | None = None,
         dpi: int = DPI, **options) -> DrawResult:
    """Draw ``kinds`` (default: all of :data:`FIGURES`) from ``run_dir``'s saved arrays.

    Each figure is written to ``out_dir/<kind>.png`` (default ``run_dir/plots``) via a
    temporary file. A kind whose input file is missing, or whose data it does not apply
    to (token data, a deterministic encoder, an array the file lacks), is not drawn but
    reported in ``skipped`` as ``(kind, reason)``. ``options`` go to every requested
    kind whose drawing function takes them (see :func:`figure_options`); ``split``
    (default ``test``) also picks ``arrays/posterior_<split>.npz``. Unknown kinds and
    options raise ValueError naming the valid ones.

    Returns ``DrawResult(written, skipped)``, a named tuple of two lists.
    """
    run_dir = Path(run_dir)
    out_dir = run_dir / "plots" if out_dir is None else Path(out_dir)
    names = resolve_kinds(kinds)
    _check_options(names, options)
    split = options.get("split", "test")
    written: list[Path] = []
    skipped: list[tuple[str, str]] = []
    cache: dict[Path, object] = {}  # the posterior file serves two figures: load it once
    for kind in names:
        spec = FIGURES[kind]
        paths = [run_dir / rel.format(split=split) for rel in spec.inputs]
        missing = [p for p in paths if not p.is_file()]
        if missing:
            skipped.append((kind, "missing " + ", ".join(str(p.relative_to(run_dir)) for p in missing)))
            continue
        inputs = [cache[p] if p in cache else cache.setdefault(p, load_input(p)) for p in paths]
        reason = next((scalar_str(i, "reason") for i in inputs if isinstance(i, Mapping) and "reason" in i), None)
        if reason is not None:  # the builder said why this figure does not apply to the run
            skipped.append((kind, reason))
            continue
        accepted = figure_options(kind)
        try:
            fig = spec.draw(*inputs, **{k: v for k, v in options.items() if k in accepted})
        except FigureNotApplicable as why:
            skipped.append((kind, str(why)))
            continue
        written.append(save_png(fig, out_dir / f"{kind}.png", dpi=dpi))
        fig.clear()
    return DrawResult(written, skipped)
