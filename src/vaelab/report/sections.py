"""The sections of a report: runs overview, config differences, diagnostics, figures.

Each ``*_section(runs)`` takes the loaded :class:`~vaelab.report.load.RunData` list and
returns :class:`~vaelab.report.html.Markup`. The pure helpers (``flatten``,
``config_diff``, ``best_indices``, ``figure_key``) are what the tests pin down.
"""

from __future__ import annotations

import json
import math
import shlex
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from vaelab.report.html import (MISSING, Markup, decimals_for, el, esc, fmt_fixed, fmt_number, join, png_data_uri,
                                table, void)
from vaelab.report.load import RunData

# --------------------------------------------------------------------------- config


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
    if _is_num(a) and _is_num(b):
        return a != b
    return type(a) is not type(b) or a != b


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


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


# --------------------------------------------------------------------------- overview


def _fmt_seconds(s) -> str:
    if not _is_num(s) or not math.isfinite(s):
        return MISSING
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60):02d} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"


def _status_badge(status) -> Markup:
    if status is None:
        return esc(MISSING)
    kind = {"completed": "ok", "diverged": "bad", "failed": "bad", "interrupted": "warn"}.get(str(status), "info")
    return el("span", status, class_=f"status status-{kind}")


def runs_section(runs: list[RunData]) -> Markup:
    """The table of runs: name, model, dataset, epochs, status, final valid -ELBO, train time, device."""
    rows = []
    for r in runs:
        s = r.summary or {}
        done, planned = s.get("epochs_completed"), s.get("epochs_planned")
        if done is None and planned is None:
            train = r.config.get("train")
            cfg_epochs = train.get("epochs") if isinstance(train, dict) else None
            epochs = f"{MISSING}/{cfg_epochs}" if cfg_epochs is not None else MISSING
        else:
            epochs = f"{fmt_number(done)}/{fmt_number(planned)}"
        final = s.get("final") if isinstance(s.get("final"), dict) else {}
        device = s.get("device")
        device_cell = (el("span", device, title=s.get("device_name")) if device and s.get("device_name")
                       else esc(device if device else MISSING))
        rows.append([
            (el("span", r.name, title=str(r.path)), {}),
            r.model_name if r.model_name is not None else MISSING,
            r.dataset if r.dataset is not None else MISSING,
            (epochs, {"class": "num"}),
            _status_badge(s.get("status")),
            (fmt_number(final.get("valid_neg_elbo"), 5), {"class": "num"}),
            (_fmt_seconds(s.get("train_time_s")), {"class": "num"}),
            device_cell,
        ])
    notes = []
    for r in runs:
        if r.summary is None:
            notes.append(el("li", el("strong", r.name), ": no summary.json (training did not finish writing it, "
                                     "or the run was copied without it)."))
        for p in r.problems:
            notes.append(el("li", el("strong", r.name), ": ", p))
    return join([
        el("h2", "Runs", id="runs"),
        el("div", table(["run", "model", "dataset", "epochs", "status", "valid \u2212ELBO", "train time", "device"],
                        rows, class_="runs"), class_="scroll"),
        el("ul", join(notes), class_="notes") if notes else "",
    ])


# --------------------------------------------------------------------------- diagnostics

_FD_NOTE = ("FD (feature net): Fr\u00e9chet distance between Gaussians fitted to features from the penultimate "
            "layer of a small classifier trained on the run's dataset (the feature net); not Inception FID, so "
            "values are comparable only between runs on the same data with the same feature net.")
_FD_SHORT = "Fr\u00e9chet distance in the feature net's penultimate layer, not Inception FID (see Feature net)."


@dataclass(frozen=True)
class Metric:
    """One row of the diagnostics table.

    ``key`` is a dotted path into diagnostics.json; ``direction`` is ``"lower"`` or
    ``"higher"`` (which value is best) or ``None`` (neutral: no best is marked).
    """

    key: str
    label: str
    direction: str | None
    help: str


INFO_ROWS = [
    Metric("split", "split", None, "The data split the diagnostics were computed on."),
    Metric("n", "examples", None, "Number of examples evaluated."),
    Metric("checkpoint", "checkpoint", None, "The checkpoint that was evaluated."),
]

METRICS = [
    Metric("neg_elbo", "\u2212ELBO", "lower",
           "Negative evidence lower bound, rec + KL at \u03b2 = 1, nats per example: an upper bound on "
           "\u2212log p(x). Lower is better."),
    Metric("rec", "reconstruction", None,
           "\u2212E_q[log p(x|z)], nats per example. Trades off against KL, so it is neutral on its own."),
    Metric("kl", "KL", None,
           "KL(q(z|x) \u2016 p(z)) averaged over examples, nats. Near 0 means posterior collapse; large means the "
           "code carries much information. Neutral on its own."),
    Metric("loss", "objective", None,
           "The variant's own training objective at \u03b2 = 1 (e.g. \u2212ELBO plus NE-VAE's re-encoding term); "
           "not comparable between variants."),
    Metric("iw_nll", "IW NLL", "lower",
           "Importance-weighted negative log-likelihood \u2212L_K (Burda et al. 2016) with K samples per example: "
           "a tighter upper bound on \u2212log p(x) than \u2212ELBO. \u00b1 one standard error over examples. "
           "Lower is better."),
    Metric("mi", "MI I(x;z)", "higher",
           "Mutual information between x and z under the aggregate posterior (Hoffman & Johnson estimator, as in "
           "He et al. 2019), nats; at most log N. Higher: the code says more about x."),
    Metric("au", "active units", "higher",
           "Latent dimensions whose activity Cov_x(E_q[z_u]) exceeds the threshold (0.01), out of d. Higher: "
           "fewer collapsed dimensions."),
    Metric("kl_minus_mi", "KL \u2212 MI", "lower",
           "KL \u2212 MI = KL(q(z) \u2016 p(z)): how far the aggregate posterior is from the prior, nats. "
           "Lower: prior samples fall where the decoder has seen codes."),
    Metric("reencode_se", "re-encoding SE", "lower",
           "Re-encoding error (NE-VAE eq. 7): mean squared distance per dimension between z and the encoder mean "
           "of decode(z). Lower: encoder and decoder agree."),
    Metric("reencode_lp", "re-encoding \u2212log q", "lower",
           "Re-encoding error (NE-VAE eq. 8, uncapped): \u2212log q(z | decode(z)) summed over dimensions, nats. "
           "Lower is better."),
    Metric("bubbles.evenness_cv", "bubble evenness (CV)", "lower",
           "Coefficient of variation of the per-group mean log posterior volume \u03a3 log \u03c3\u00b2: 0 when "
           "every group's posteriors are equally large. Lower is more even."),
    Metric("molecules.reconstruction_accuracy", "reconstruction accuracy", "higher",
           "Share of test molecules whose greedily decoded posterior mean is the same canonical SMILES. "
           "Higher is better."),
    Metric("molecules.token_accuracy", "token accuracy", "higher",
           "Share of token positions (real tokens and eos) decoded correctly from the posterior mean."),
    Metric("molecules.samples.validity", "sample validity", "higher",
           "Share of decoded samples that RDKit parses (MOSES definition)."),
    Metric("molecules.samples.uniqueness", "sample uniqueness", "higher",
           "Unique canonical molecules among the valid samples."),
    Metric("molecules.samples.novelty", "sample novelty", "higher",
           "Share of unique valid samples not in the training set."),
    Metric("molecules.samples.internal_diversity", "internal diversity", "higher",
           "1 - mean Tanimoto similarity of Morgan fingerprints over pairs of valid samples (IntDiv1)."),
    Metric("molecules.samples.fcd_test", "FCD vs test", "lower",
           "Fréchet ChemNet Distance between the valid samples and the test molecules; small sets read high, "
           "so compare at equal numbers of samples. Lower is better."),
    Metric("fd.fd_rec", "FD reconstructions", "lower",
           "FD (feature net) between test data and its reconstructions. " + _FD_SHORT + " Lower is better."),
    Metric("fd.fd_prior", "FD samples, N", "lower",
           "FD (feature net) between test data and decoded samples from one Gaussian: the prior N(0, I) for "
           "VAEs and WAEs, a Gaussian fitted to the training codes for CV-VAEs, RAEs and AEs (the RAE paper's "
           "N column). " + _FD_SHORT + " Lower is better."),
    Metric("fd.fd_gmm", "FD samples, GMM", "lower",
           "FD (feature net) between test data and decoded samples from a 10-component Gaussian mixture fitted "
           "to the training codes (ex-post density estimation, RAE paper). " + _FD_SHORT + " Lower is better."),
    Metric("fd.fd_interp", "FD interpolations", "lower",
           "FD (feature net) between test data and decoded interpolations between test codes. " + _FD_SHORT
           + " Lower is better."),
]

# fd_data compares real data with real data: a reference level for the other FD rows, not a model score.
_FD_REFERENCE = {"fd_data"}


def _fd_metric(key: str) -> Metric:
    what = key[len("fd_"):].replace("_", " ")
    if key in _FD_REFERENCE:
        return Metric(f"fd.{key}", f"FD {what} (reference)", None,
                      "FD (feature net) between two sets of real data: the level the other FD rows can reach at "
                      "this sample size; a reference, not a score of the model. " + _FD_SHORT)
    return Metric(f"fd.{key}", f"FD {what}", "lower", f"FD (feature net), {what}. " + _FD_SHORT + " Lower is better.")


def lookup(diag, key: str):
    """``diag["a"]["b"]`` for ``key = "a.b"``; None where any part is missing."""
    value = diag
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def metric_rows(diags: list[dict | None]) -> list[Metric]:
    """The rows to show: the fixed metrics, then any further ``fd.fd_*`` keys (sorted); rows no run has are left out."""
    known = {m.key for m in METRICS}
    extra = sorted({k for d in diags if d and isinstance(d.get("fd"), Mapping) for k in d["fd"]
                    if k.startswith("fd_") and f"fd.{k}" not in known and _is_num(d["fd"][k])})
    rows = INFO_ROWS + METRICS + [_fd_metric(k) for k in extra]
    return [m for m in rows if any(d and lookup(d, m.key) is not None for d in diags)]


def best_indices(values: list, direction: str | None) -> set[int]:
    """Indices of the best values: min for ``"lower"``, max for ``"higher"``, none for ``None``.

    Only finite numbers count; nothing is marked unless at least two runs have one, or
    when all of them are equal (no run is better then).
    """
    if direction not in ("lower", "higher"):
        return set()
    finite = [(i, float(v)) for i, v in enumerate(values) if _is_num(v) and math.isfinite(v)]
    if len(finite) < 2:
        return set()
    target = (min if direction == "lower" else max)(v for _, v in finite)
    best = {i for i, v in finite if v == target}
    return set() if len(best) == len(finite) else best


def _latent_dim(run: RunData, diag: dict):
    for key in ("activity_per_dim", "kl_per_dim"):
        if isinstance(diag.get(key), list) and diag[key]:
            return len(diag[key])
    model = run.config.get("model")
    return model.get("latent_dim") if isinstance(model, dict) else None


def _cell_text(metric: Metric, run: RunData, diag: dict | None, decimals: int | None) -> Markup:
    value = lookup(diag, metric.key) if diag else None
    if value is None:
        return esc(MISSING)
    if metric.key == "au":
        d = _latent_dim(run, diag)
        return esc(f"{fmt_number(value)}/{d if d is not None else '?'}")
    if metric.key == "iw_nll":
        se, k = diag.get("iw_nll_se"), diag.get("iw_samples")
        text = fmt_fixed(value, decimals)
        if _is_num(se):
            se_dec = decimals if decimals is not None and abs(se) >= 10 ** -decimals else decimals_for([se])
            text += f" \u00b1 {fmt_fixed(se, se_dec)}"
        return join([text, el("span", f"K={k}", class_="sub") if k is not None else ""])
    if _is_num(value):
        return esc(fmt_fixed(value, decimals))
    return esc(fmt_config_value(value))


def _skip_reason(diag: dict | None, key: str):
    """The reason diagnostics.json gives for skipping ``key`` (or the group it belongs to, e.g. ``fd``), else None."""
    skipped = diag.get("skipped") if diag else None
    if not isinstance(skipped, Mapping):
        return None
    for name in (key, key.split(".")[0], key.split(".")[-1]):
        if name in skipped:
            return skipped[name] if skipped[name] is not None else "skipped"
    return None


def _diag_note(run: RunData) -> Markup:
    cmd = f"vaelab evaluate {shlex.quote(str(run.path))}"
    return el("li", el("strong", run.name), ": no diagnostics.json \u2014 run ", el("code", cmd), ".")


def diagnostics_section(runs: list[RunData]) -> Markup:
    """Scalar diagnostics with one column per run and the best value marked; then feature net, skipped, bubbles."""
    parts = [el("h2", "Diagnostics", id="diagnostics")]
    diags = [r.diagnostics for r in runs]
    missing = [r for r in runs if r.diagnostics is None]
    if missing:
        parts.append(el("ul", join(_diag_note(r) for r in missing), class_="notes"))
    if all(d is None for d in diags):
        return join(parts)
    rows, attrs = [], []
    for m in metric_rows(diags):
        values = [lookup(d, m.key) if d else None for d in diags]
        best = best_indices(values, m.direction)
        decimals = decimals_for(values)
        arrow = {"lower": ("\u2193", "lower is better"), "higher": ("\u2191", "higher is better")}.get(m.direction)
        label = join([m.label, el("span", arrow[0], class_="dir", title=arrow[1]) if arrow else ""])
        row = [(label, {"title": m.help})]
        for i, (r, d) in enumerate(zip(runs, diags)):
            text = _cell_text(m, r, d, decimals)
            if i in best:
                row.append((join([el("strong", text), el("span", "best", class_="badge-best",
                                                            title=f"best of these runs ({arrow[1]})")]),
                            {"class": "num best"}))
            elif values[i] is None and _skip_reason(d, m.key) is not None:
                row.append((el("span", "skipped", title=_plain(_skip_reason(d, m.key))), {"class": "num absent"}))
            elif values[i] is None:
                row.append((text, {"class": "num absent"}))
            else:
                row.append((text, {"class": "num" if _is_num(values[i]) else "txt"}))
        rows.append(row)
        attrs.append({"class": "info" if m in INFO_ROWS else None, "data_key": m.key})
    shown = [m for m in metric_rows(diags) if m not in INFO_ROWS]
    parts.append(el("p", "Nats per example unless named otherwise. \u2193 lower is better, \u2191 higher is better; "
                         "rows without an arrow are neutral. Hover a row name for its definition.", class_="note"))
    parts.append(el("div", table(["metric"] + [r.name for r in runs], rows, class_="diag", row_attrs=attrs),
                    class_="scroll"))
    parts.append(el("details", el("summary", "Glossary"),
                    el("dl", join(join([el("dt", m.label), el("dd", m.help)]) for m in shown)),
                    el("p", _FD_NOTE, class_="note") if any(m.key.startswith("fd.") for m in shown) else "",
                    class_="glossary"))
    parts.append(_feature_net(runs))
    parts.append(_skipped(runs))
    parts.append(_bubbles(runs))
    return join(parts)


def _plain(value, decimals: int | None = None) -> str:
    if _is_num(value):
        return fmt_fixed(value, decimals if decimals is not None else decimals_for([value]))
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=str)
    return fmt_config_value(value)


def _feature_net(runs: list[RunData]) -> Markup:
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
    rows = [[(el("code", k), {})] + [(_plain(n.get(k)) if isinstance(n, Mapping) and k in n else MISSING,
                                      {"class": "num" if isinstance(n, Mapping) and _is_num(n.get(k)) else "txt"})
                                     for n in nets] for k in keys]
    return join([
        el("h3", "Feature net for the FD rows"),
        el("p", "The classifier whose penultimate-layer features the FD rows compare (not Inception).",
           class_="note"),
        el("div", table(["item"] + names, rows, class_="featnet"), class_="scroll"),
    ])


def _skipped(runs: list[RunData]) -> Markup:
    items = []
    for r in runs:
        skipped = r.diagnostics.get("skipped") if r.diagnostics else None
        if isinstance(skipped, Mapping) and skipped:
            items.append(el("li", el("strong", r.name), el("ul", join(
                el("li", el("code", k), ": ", _plain(v)) for k, v in skipped.items()))))
        elif isinstance(skipped, list) and skipped:
            items.append(el("li", el("strong", r.name), el("ul", join(el("li", el("code", _plain(k)))
                                                                      for k in skipped))))
    if not items:
        return Markup("")
    return join([el("h3", "Skipped metrics"),
                 el("p", "Metrics that do not apply to the model or data, with the reason.", class_="note"),
                 el("ul", join(items), class_="skipped")])


def _bubbles(runs: list[RunData]) -> Markup:
    cards = []
    for r in runs:
        b = r.diagnostics.get("bubbles") if r.diagnostics else None
        if not isinstance(b, Mapping):
            continue
        groups = b.get("groups") if isinstance(b.get("groups"), list) else []
        groups = [g for g in groups if isinstance(g, Mapping)]
        dec = {k: decimals_for(g.get(k) for g in groups) for k in ("volume", "distance")}
        rows = [[_plain(g.get("group")), (_plain(g.get("n")), {"class": "num"}),
                 (_plain(g.get("volume"), dec["volume"]), {"class": "num"}),
                 (_plain(g.get("distance"), dec["distance"]), {"class": "num"})] for g in groups]
        cap = join([el("strong", r.name), f" \u2014 grouped by {b.get('group_by') or MISSING}"])
        cards.append(el("div", table(["group", "n", "volume", "distance"], rows, class_="bubbles", caption=cap),
                        class_="card"))
    if not cards:
        return Markup("")
    return join([
        el("h3", "Posterior bubbles per group"),
        el("p", "volume: mean over the group of \u03a3\u2096 log \u03c3\u2096\u00b2 (log squared posterior volume); "
                "distance: mean \u2016\u03bc\u2016 from the origin.", class_="note"),
        el("div", join(cards), class_="cards"),
    ])


# --------------------------------------------------------------------------- figures

FIGURE_ORDER = ["curves", "activity", "latent-scatter", "bubbles", "reconstructions", "samples", "traversals",
                "interpolations", "lattice", "molecule-map", "molecule-traversals", "molecule-interpolations",
                "property-histograms"]

FIGURE_CAPTIONS = {
    "curves": "Training curves: loss, reconstruction and KL per epoch, training and validation.",
    "activity": "Per-dimension activity and KL, with the active-unit threshold.",
    "latent-scatter": "Posterior means of test examples in two latent dimensions, coloured by group.",
    "bubbles": "Posterior bubbles: each example's posterior N(\u03bc, \u03c3\u00b2) drawn as an ellipse, by group.",
    "reconstructions": "Test examples and their reconstructions from the posterior mean.",
    "samples": "Decoded samples from the model's N sampler: the prior p(z), or a Gaussian fitted to the training "
               "codes for models without a prior (RAE, AE).",
    "traversals": "Latent traversals: one dimension varied at a time (most active first), the others fixed.",
    "interpolations": "Decoded interpolations between test codes, and from the origin outwards.",
    "lattice": "Decoded lattice over two latent dimensions at prior quantiles.",
    "molecule-map": "Test molecules at their projected posterior means, coloured by a property, some drawn beside "
                    "their points (the molecule article's figure).",
    "molecule-traversals": "The most active dimensions swept from -3 to 3, decoded to molecules; a red cross is an "
                           "invalid SMILES.",
    "molecule-interpolations": "Linear and spherical paths between test molecules A and B (blue frames), decoded.",
    "property-histograms": "logP, QED and SA score of valid decoded samples against the training molecules; the "
                           "title gives the validity.",
}


def _norm(stem: str) -> str:
    return stem.lower().replace("_", "-").replace(" ", "-")


def figure_kind(stem: str) -> str | None:
    """The known figure kind of a PNG stem (``latent_scatter`` and ``interpolations-origin`` match), else None."""
    norm = _norm(stem)
    for kind in FIGURE_ORDER:
        if norm == kind or norm.startswith(kind + "-"):
            return kind
    return None


def figure_key(stem: str) -> tuple:
    """Sort key: known kinds in FIGURE_ORDER, variants of a kind and unknown figures alphabetically after."""
    kind = figure_kind(stem)
    rank = FIGURE_ORDER.index(kind) if kind else len(FIGURE_ORDER)
    return (rank, _norm(stem))


def figure_title(stem: str) -> str:
    kind = figure_kind(stem)
    norm = _norm(stem)
    if kind and norm != kind:
        rest = norm[len(kind) + 1:].replace("-", " ")
        return f"{kind.replace('-', ' ').capitalize()} \u2014 {rest}"
    return norm.replace("-", " ").capitalize()


def figure_caption(stem: str) -> str:
    kind = figure_kind(stem)
    return FIGURE_CAPTIONS[kind] if kind else f"{stem}.png from the run's plots folder."


def _png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR chunk, or None when ``data`` is not a PNG."""
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def _image(path: Path, alt: str) -> Markup:
    try:
        data = path.read_bytes()
    except OSError as err:
        return el("p", f"{path.name} could not be read ({err}).", class_="missing")
    size = _png_size(data)
    if size is None:
        return el("p", f"{path.name} is not a PNG file; redraw it with `vaelab plot`.", class_="missing")
    return void("img", src=png_data_uri(data), alt=alt, width=size[0], height=size[1], loading="eager")


def _plot_note(run: RunData) -> Markup:
    cmd = f"vaelab plot {shlex.quote(str(run.path))}"
    return el("li", el("strong", run.name), ": no plots \u2014 run ", el("code", cmd), ".")


def figures_section(runs: list[RunData]) -> Markup:
    """Every PNG of every run, in FIGURE_ORDER; with several runs one grid row per figure, one column per run."""
    parts = [el("h2", "Figures", id="figures")]
    missing = [r for r in runs if not r.plots]
    if missing:
        parts.append(el("ul", join(_plot_note(r) for r in missing), class_="notes"))
    label = len(runs) > 1  # name the run under each figure whenever the report has several
    runs = [r for r in runs if r.plots]  # runs without plots get the note above, not a column of blanks
    by_run = [{_norm(p.stem): p for p in r.plots} for r in runs]
    stems: dict[str, str] = {}
    for r in runs:
        for p in r.plots:
            stems.setdefault(_norm(p.stem), p.stem)
    if not stems:
        return join(parts)
    ordered = sorted(stems, key=figure_key)
    parts.append(el("nav", join(el("a", figure_title(stems[k]), href=f"#fig-{k}") for k in ordered), class_="figtoc"))
    multi = len(runs) > 1
    for key in ordered:
        stem = stems[key]
        title = figure_title(stem)
        cells = []
        for r, plots in zip(runs, by_run):
            if key in plots:
                content, cls = _image(plots[key], f"{title}, {r.name}"), None
            else:
                content, cls = el("p", f"no {stem}.png in this run", class_="missing"), "absent"
            cells.append(el("figure", content, el("figcaption", r.name) if label else "", class_=cls))
        grid = el("div", join(cells), class_="figrow" if multi else "figsingle",
                  style=f"--cols: {len(runs)}" if multi else None)
        parts.append(el("section", el("h3", title), el("p", figure_caption(stem), class_="caption"), grid,
                        class_="figure-kind", id=f"fig-{key}"))
    return join(parts)
