"""The configuration section: the keys whose values differ between runs, then each run's config.yaml."""

from __future__ import annotations

import json
from collections.abc import Mapping

from vaelab.report.html import MISSING, Markup, el, is_number, join, table
from vaelab.report.load import RunData


def flatten(cfg, prefix: str = "") -> dict:
    """A nested mapping as ``{"dotted.key": leaf}``. Lists are leaves; empty mappings leave no key.

    (So ``options: {}`` in one run and ``options: {beta: 4}`` in another differ in
    ``options.beta`` only, not in a spurious ``options`` row.)
    """
    out: dict = {}
    if isinstance(cfg, Mapping):
        for key, value in cfg.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    else:
        out[prefix] = cfg
    return out


ABSENT = object()  # marks a key that a run's config does not have


def config_diff(flats: list[dict]) -> list[tuple[str, list]]:
    """Keys whose values differ between the flattened configs, in first-seen order.

    Returns ``[(key, [value per run])]``; a run without the key has the value
    ``ABSENT`` (shown as an em dash). With fewer than two configs nothing differs.
    """
    if len(flats) < 2:
        return []
    keys: dict[str, None] = {}
    for flat in flats:
        keys.update(dict.fromkeys(flat))
    rows = []
    for key in keys:
        values = [flat.get(key, ABSENT) for flat in flats]
        first = values[0]
        if any(_differs(first, v) for v in values[1:]):
            rows.append((key, values))
    return rows


def _differs(a, b) -> bool:
    """True when two config leaves differ; 1 and 1.0 are equal, 1 and True or "1" are not."""
    if a is ABSENT or b is ABSENT:
        return a is not b
    if is_number(a) and is_number(b):
        return a != b
    return type(a) is not type(b) or a != b


def fmt_config_value(value) -> str:
    """A config leaf as YAML writes it: ``null``, ``true``, ``[200, 200]``, ``{}``; strings as is."""
    if value is ABSENT:
        return MISSING
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, default=str)
    return str(value)


def config_section(runs: list[RunData]) -> Markup:
    """Keys that differ between runs (all keys for one run, folded away), then each run's full config.yaml."""
    parts = [el("h2", "Configuration", id="config")]
    flats = [flatten(r.config) for r in runs]
    if len(runs) == 1:
        rows = [(k, fmt_config_value(v)) for k, v in flats[0].items()]
        parts.append(el("p", "One run: nothing to compare. Its settings:", class_="note"))
        parts.append(el("details", el("summary", f"all {len(rows)} settings of {runs[0].name}"),
                        table(["key", "value"], rows, class_="config")))
    else:
        diff = config_diff(flats)
        if diff:
            rows = [[(el("code", key), {})] + [(fmt_config_value(v), {"class": "absent"} if v is ABSENT else {})
                                              for v in values] for key, values in diff]
            parts.append(el("p", f"{len(diff)} of {len(set().union(*flats))} settings differ between the runs "
                                 "(\u2014: the run's config has no such key).", class_="note"))
            parts.append(el("div", table(["key"] + [r.name for r in runs], rows, class_="config diff"),
                            class_="scroll"))
        else:
            parts.append(el("p", "The runs have identical configs.", class_="note"))
    parts.append(join(el("details", el("summary", "config.yaml of ", el("strong", r.name)),
                         el("pre", r.config_text), class_="fullconfig") for r in runs))
    return join(parts)
