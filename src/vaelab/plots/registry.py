"""The figure catalogue: every figure's drawing function, inputs, title and caption, in reading order.

:data:`FIGURES` is read by ``vaelab plot`` (:func:`vaelab.plots.draw`), the CLI's
``--kind`` choices and the report's figure section; a new figure is one entry here.
A drawing function is named, not imported, so reading the catalogue loads neither
matplotlib nor torch (the command line's help stays fast); :attr:`FigureSpec.draw`
imports it when a figure is drawn.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Callable, Iterable, NamedTuple

from vaelab.rundir.layout import DIAGNOSTICS, METRICS, arrays_file



class FigureSpec(NamedTuple):
    """A figure: its drawing function, its input files (relative to the run directory), its title and caption.

    The function takes the loaded inputs positionally, in this order (``.npz`` -> dict of
    arrays, ``.json`` -> dict, ``.jsonl`` -> list of dicts), plus keyword options.
    ``{split}`` in a path is filled in from the ``split`` option (default ``test``), and
    ``diagnostics.json`` stands for that split's diagnostics (:func:`vaelab.rundir.layout.split_file`).
    ``title`` and ``caption`` are what a report shows above and under the figure.
    """

    source: str  # "<module of vaelab.plots>.<function>", e.g. "scatter.draw_latent_scatter"
    inputs: tuple[str, ...]
    title: str
    caption: str

    @property
    def draw(self) -> Callable:
        """The drawing function, imported on first use."""
        module, name = self.source.rsplit(".", 1)
        return getattr(importlib.import_module(f"vaelab.plots.{module}"), name)


#: Every figure, in reading order: training, the latent space, decoded data, then molecules. ``vaelab plot``
#: draws them in this order and ``vaelab report`` shows them in it.
FIGURES: dict[str, FigureSpec] = {
    "curves": FigureSpec(
        "curves.draw_curves", (METRICS,), "Training curves",
        "Training curves: loss, reconstruction and KL per epoch, training and validation."),
    "activity": FigureSpec(
        "activity.draw_activity", (DIAGNOSTICS,), "Activity per dimension",
        "Per-dimension activity and KL, with the active-unit threshold."),
    "latent-scatter": FigureSpec(
        "scatter.draw_latent_scatter", (arrays_file("posterior_{split}"),), "Latent scatter",
        "Posterior means of test examples in two latent dimensions, coloured by group."),
    "bubbles": FigureSpec(
        "bubbles.draw_bubbles", (arrays_file("posterior_{split}"),), "Posterior bubbles",
        "Posterior bubbles: each example's posterior N(\u03bc, \u03c3\u00b2) drawn as an ellipse, by group."),
    "reconstructions": FigureSpec(
        "reconstructions.draw_reconstructions", (arrays_file("reconstructions"),), "Reconstructions",
        "Test examples and their reconstructions from the posterior mean."),
    "samples": FigureSpec(
        "samples.draw_samples", (arrays_file("samples"),), "Samples",
        "Decoded samples from the model's N-sampler: the prior p(z), or a Gaussian fitted to the training codes "
        "for models without a prior (RAE, AE)."),
    "traversals": FigureSpec(
        "traversals.draw_traversals", (arrays_file("traversals"),), "Traversals",
        "Latent traversals: one dimension varied at a time (most active first), the others fixed."),
    "interpolations": FigureSpec(
        "interpolations.draw_interpolations", (arrays_file("interpolations"),), "Interpolations",
        "Decoded interpolations between test codes, and from the origin outwards."),
    "lattice": FigureSpec(
        "lattice.draw_lattice", (arrays_file("lattice"),), "Lattice",
        "Decoded lattice over two latent dimensions at prior quantiles."),
    # molecules (token runs; other runs' files hold the reason these are skipped)
    "molecule-map": FigureSpec(
        "molecule_map.draw_molecule_map", (arrays_file("molecule_map"),), "Molecule map",
        "Test molecules at their projected posterior means, coloured by a property, some drawn beside their "
        "points (the molecule article's figure)."),
    "molecule-traversals": FigureSpec(
        "molecule_strips.draw_molecule_traversals", (arrays_file("molecule_traversals"),), "Molecule traversals",
        "The most active dimensions swept from -3 to 3, decoded to molecules; a red cross is an invalid SMILES."),
    "molecule-interpolations": FigureSpec(
        "molecule_strips.draw_molecule_interpolations", (arrays_file("molecule_interpolations"),), "Molecule interpolations",
        "Linear and spherical paths between test molecules A and B (blue frames), decoded."),
    "property-histograms": FigureSpec(
        "property_histograms.draw_property_histograms", (arrays_file("property_histograms"),), "Property histograms",
        "logP, QED and SA score of valid decoded samples against the training molecules; the title gives the "
        "validity."),
}


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
