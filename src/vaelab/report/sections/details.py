"""The tables under the diagnostics: the FD's feature net, the skipped metrics, the posterior bubbles per group."""

from __future__ import annotations

import json
from collections.abc import Mapping

from vaelab.diagnostics.catalogue import lookup
from vaelab.report.html import MISSING, Markup, decimals_for, el, fmt_fixed, is_number, join, table
from vaelab.report.load import RunData
from vaelab.report.sections.config import fmt_config_value


def plain(value, decimals: int | None = None) -> str:
    """A stored value as plain text: numbers with ``decimals`` (or their own), mappings and lists as JSON."""
    if is_number(value):
        return fmt_fixed(value, decimals if decimals is not None else decimals_for([value]))
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=str)
    return fmt_config_value(value)


def feature_net_table(runs: list[RunData]) -> Markup:
    """The feature net's record per run (one column when every run used the same net)."""
    runs = [r for r in runs if isinstance(lookup(r.diagnostics, "fd.feature_net") if r.diagnostics else None, Mapping)]
    if not runs:
        return Markup("")
    nets = [lookup(r.diagnostics, "fd.feature_net") for r in runs]
    names = [r.name for r in runs]
    if len(nets) > 1 and all(n == nets[0] for n in nets[1:]):
        nets, names = nets[:1], ["all runs (the same net)"]
    keys: dict[str, None] = {}
    for n in nets:
        if isinstance(n, Mapping):
            keys.update(dict.fromkeys(str(k) for k in n))
    rows = [[(el("code", k), {})] + [(plain(n.get(k)) if isinstance(n, Mapping) and k in n else MISSING,
                                      {"class": "num" if isinstance(n, Mapping) and is_number(n.get(k)) else "txt"})
                                     for n in nets] for k in keys]
    return join([
        el("h3", "Feature net for the FD rows"),
        el("p", "The classifier whose penultimate-layer features the FD rows compare (not Inception): shipped "
                "with vaelab for MNIST-like data and digits, else trained on the run's data. FD values are "
                "comparable only between runs scored with the same net (hash), split and data.", class_="note"),
        el("div", table(["item"] + names, rows, class_="featnet"), class_="scroll"),
    ])


def skipped_list(runs: list[RunData]) -> Markup:
    """Per run, the metrics its diagnostics.json skipped, with the reason."""
    items = []
    for r in runs:
        skipped = r.diagnostics.get("skipped") if r.diagnostics else None
        if isinstance(skipped, Mapping) and skipped:
            items.append(el("li", el("strong", r.name), el("ul", join(
                el("li", el("code", k), ": ", plain(v)) for k, v in skipped.items()))))
        elif isinstance(skipped, list) and skipped:
            items.append(el("li", el("strong", r.name), el("ul", join(el("li", el("code", plain(k)))
                                                                      for k in skipped))))
    if not items:
        return Markup("")
    return join([el("h3", "Skipped metrics"),
                 el("p", "Metrics that do not apply to the model or data, with the reason.", class_="note"),
                 el("ul", join(items), class_="skipped")])


def _bubble_card(r: RunData, b: Mapping) -> Markup:
    groups = b.get("groups") if isinstance(b.get("groups"), list) else []
    groups = [g for g in groups if isinstance(g, Mapping)]
    dec = {k: decimals_for(g.get(k) for g in groups) for k in ("volume", "distance")}
    rows = [[plain(g.get("group")), (plain(g.get("n")), {"class": "num"}),
             (plain(g.get("volume"), dec["volume"]), {"class": "num"}),
             (plain(g.get("distance"), dec["distance"]), {"class": "num"})] for g in groups]
    cap = join([el("strong", r.name), f" \u2014 grouped by {b.get('group_by') or MISSING}"])
    return el("div", table(["group", "n", "volume", "distance"], rows, class_="bubbles", caption=cap), class_="card")


def bubbles_tables(runs: list[RunData]) -> Markup:
    """One table per run of its posterior bubbles: per group, n, mean log volume and mean distance."""
    cards = [_bubble_card(r, r.diagnostics["bubbles"]) for r in runs
             if r.diagnostics and isinstance(r.diagnostics.get("bubbles"), Mapping)]
    if not cards:
        return Markup("")
    return join([
        el("h3", "Posterior bubbles per group"),
        el("p", "volume: mean over the group of \u03a3\u2096 log \u03c3\u2096\u00b2 (log squared posterior volume); "
                "distance: mean \u2016\u03bc\u2016 from the origin.", class_="note"),
        el("div", join(cards), class_="cards"),
    ])
