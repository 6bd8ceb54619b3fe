"""The metric catalogue: every key of ``diagnostics.json`` once, with how it is shown.

Each :class:`Metric` names a key (a dotted path for nested ones, ``fd.fd_rec``,
``molecules.samples.validity``), its label, which value is better, its unit, its
decimals, a glossary paragraph citing the paper it comes from, and which runs it
applies to. The report (diagnostics table and glossary), the CLI's ``vaelab
evaluate`` table and the demo's table all read their rows from here, so a new metric
is one entry in :data:`METRICS`, placed where its row should appear.

Roles: ``info`` rows say what was evaluated (split, examples, checkpoint); ``metric``
rows are the scores; ``detail`` keys are stored beside a metric (its standard error,
per-dimension lists, the feature net's record) and get no row of their own.

This module is pure data and string formatting: it imports neither torch nor any
other part of vaelab, so every floor may read it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

IMAGES, TOKENS = "images", "tokens"  # token (molecule) runs; every other data kind is "images"
ROLES = ("info", "metric", "detail")
MISSING = "\u2014"  # em dash: a value that is absent

FD_NOTE = ("FD (feature net): Fr\u00e9chet distance (Heusel et al. 2017) between Gaussians fitted to features from "
           "the penultimate layer of a small classifier (the feature net: shipped with vaelab for MNIST-like data "
           "and digits, else trained on the run's dataset); not Inception FID, so values are comparable only "
           "between runs scored with the same feature net (its sha256 hash), split and data.")
_FD_SHORT = ("Fr\u00e9chet distance (Heusel et al. 2017) in the feature net's penultimate layer, not Inception FID "
             "(see Feature net).")
_RAE = "Ghosh et al. 2020, \u201cFrom variational to deterministic autoencoders\u201d, Table 1"
_NEVAE = "Tu et al. 2021, \u201cNeighbor embedding variational autoencoder\u201d"
_MOSES = "Polykovskiy et al. 2020, MOSES"


@dataclass(frozen=True)
class Metric:
    """One key of ``diagnostics.json`` and how to show it.

    ``direction``: ``"lower"`` or ``"higher"`` is better, or None (neutral: no best is
    marked). ``unit``: ``"nats"`` (per example), ``"count"``, ``"share"`` (0 to 1),
    ``"seconds"``, or ``""`` for a dimensionless number. ``decimals``: the fixed
    decimals of a float (None: as stored). ``data`` and ``elbo_only``: the runs that
    get the key (image and/or token data; only models with an ELBO, i.e. a posterior
    with a variance). ``error``: key of a standard error shown as ``± se``;
    ``out_of``: key of a list whose length the value counts out of (``13/32``);
    ``context``: text shown beside the value, with ``{dotted.key}`` fields filled in
    from the same diagnostics.
    """

    key: str
    label: str
    glossary: str
    direction: str | None = None
    unit: str = ""
    decimals: int | None = 2
    role: str = "metric"
    data: tuple[str, ...] = (IMAGES, TOKENS)
    elbo_only: bool = False
    error: str | None = None
    out_of: str | None = None
    context: str | None = None

    @property
    def heading(self) -> str:
        """The label for a plain-text table: with the unit where it is one of measure (nats, seconds)."""
        if self.unit == "nats":
            return f"{self.label} (nats)"
        if self.unit == "seconds":
            return f"{self.label} (s)"
        return self.label

    def applies(self, data_kind: str, has_elbo: bool) -> bool:
        """Whether a run on ``data_kind`` data (``tokens``, else images) whose model has an ELBO or not gets it."""
        kind = TOKENS if data_kind == TOKENS else IMAGES
        return kind in self.data and (has_elbo or not self.elbo_only)


def _info(key, label, glossary, unit="", decimals=None):
    return Metric(key, label, glossary, unit=unit, decimals=decimals, role="info")


def _detail(key, label, glossary, unit="", decimals=None, **applies):
    return Metric(key, label, glossary, unit=unit, decimals=decimals, role="detail", **applies)


def _fd(key, label, glossary, direction="lower", decimals=1):
    tail = " Lower is better." if direction == "lower" else ""
    return Metric(f"fd.{key}", label, f"{glossary} {_FD_SHORT}{tail}", direction, decimals=decimals, data=(IMAGES,))


_MOL = {"data": (TOKENS,)}
#: (key, label, what, decimals) of the properties whose distributions MOSES compares
_MOSES_PROPERTIES = (("logp", "logP", "Crippen logP (Wildman & Crippen 1999)", 3),
                     ("qed", "QED", "QED (Bickerton et al. 2012)", 3),
                     ("sa", "SA", "synthetic accessibility scores (Ertl & Schuffenhauer 2009)", 3),
                     ("mw", "weight", "molecular weights (daltons)", 1))

METRICS: tuple[Metric, ...] = (
    # ---- what was evaluated
    _info("split", "split", "The data split the diagnostics were computed on."),
    _info("n", "examples", "Number of examples evaluated.", unit="count"),
    _info("checkpoint", "checkpoint", "The checkpoint that was evaluated."),
    _detail("subset", "subset", "How a limited evaluation picked its examples (seeded-random-v1: the same seeded "
                                "random subset of the split for every run; not its first rows, which may be "
                                "sorted by label)."),
    _detail("seed", "seed", "Seed of every random draw of the evaluation (samples, permutations, IW samples)."),
    _detail("skipped", "skipped", "{metric: reason} for the metrics that do not apply to the model or data."),
    # ---- bounds
    Metric("neg_elbo", "\u2212ELBO",
           "Negative evidence lower bound, reconstruction + KL at \u03b2 = 1 (Kingma & Welling 2014, eq. 3), nats "
           "per example: an upper bound on \u2212log p(x). Lower is better.", "lower", "nats", elbo_only=True),
    Metric("rec", "reconstruction",
           "\u2212E_q[log p(x|z)], nats per example (Kingma & Welling 2014); for a deterministic encoder "
           "\u2212log p(x|z(x)). Trades off against KL, so it is neutral on its own.", None, "nats"),
    Metric("kl", "KL",
           "KL(q(z|x) \u2016 p(z)) averaged over examples, nats. Near 0 means posterior collapse (Bowman et al. "
           "2016); large means the code carries much information. Neutral on its own.", None, "nats",
           elbo_only=True),
    Metric("loss", "objective",
           "The variant's own training objective at \u03b2 = 1 (e.g. \u2212ELBO plus the NE-VAE's re-encoding "
           f"term, {_NEVAE}, or the RAE loss of Ghosh et al. 2020); not comparable between variants.", None,
           "nats"),
    _detail("kl_per_dim", "KL per dimension", "List (d): mean KL(q(z_k|x) \u2016 p(z_k)) per latent dimension, nats.",
            unit="nats", elbo_only=True),
    Metric("iw_nll", "IW NLL",
           "Importance-weighted negative log-likelihood \u2212L_K (Burda et al. 2016, \u201cImportance weighted "
           "autoencoders\u201d, eq. 8) with K samples per example: a tighter upper bound on \u2212log p(x) than "
           "\u2212ELBO. \u00b1 one standard error over examples. Lower is better.", "lower", "nats",
           elbo_only=True, error="iw_nll_se", context="K={iw_samples}"),
    _detail("iw_nll_se", "IW NLL standard error", "Standard error of the IW NLL over examples.", unit="nats",
            elbo_only=True),
    _detail("iw_samples", "IW samples K", "Importance samples per example of the IW NLL.", unit="count",
            elbo_only=True),
    # ---- the latent space
    Metric("mi", "mutual information I(x;z)",
           "Mutual information between x and z under the aggregate posterior, nats: the estimator of Hoffman & "
           "Johnson 2016 (\u201cELBO surgery\u201d) as used by He et al. 2019 (\u201cLagging inference "
           "networks\u201d); at most log N. Higher: the code says more about x.", "higher", "nats", elbo_only=True),
    _detail("mi_n", "MI examples", "Number of examples the MI estimate used.", unit="count", elbo_only=True),
    Metric("mi_batch", "MI per batch (He et al.)",
           "The same estimator within each batch of mi_batch_size test examples, averaged over batches, as He et "
           "al. 2019 compute it (calc_mi): at most log(batch size), the scale of the MI columns in their paper and "
           "in the NE-VAE paper. Higher: the code says more about x.", "higher", "nats", elbo_only=True),
    _detail("mi_batch_size", "MI batch size", "Examples per batch of the per-batch MI.", unit="count",
            elbo_only=True),
    _detail("neg_entropy", "\u2212H(z|x)", "E_x[E_q log q(z|x)], the first term of the MI estimate, nats.",
            unit="nats", elbo_only=True),
    _detail("log_qz", "log q(z)", "E[log q(z)] under the aggregate posterior, the second term of the MI estimate.",
            unit="nats", elbo_only=True),
    Metric("au", "active units",
           "Latent dimensions whose activity A_u = Cov_x(E_q[z_u]) exceeds 0.01, out of d (Burda et al. 2016, "
           "sec. 5.2). Higher: fewer collapsed dimensions.", "higher", "count", decimals=None,
           out_of="activity_per_dim"),
    _detail("activity_per_dim", "activity per dimension", "List (d): the activity A_u of each latent dimension."),
    _detail("collapsed_dims", "collapsed dimensions", "Indices of the dimensions with A_u at or below the threshold."),
    _detail("au_threshold", "active-unit threshold", "The activity threshold of the active units (0.01)."),
    Metric("kl_minus_mi", "KL \u2212 MI",
           "KL \u2212 MI = KL(q(z) \u2016 p(z)) (Hoffman & Johnson 2016): how far the aggregate posterior is from "
           "the prior, nats. Lower: prior samples fall where the decoder has seen codes.", "lower", "nats",
           elbo_only=True),
    Metric("reencode_se", "re-encoding SE",
           f"Re-encoding error ({_NEVAE}, eq. 7): mean squared distance per dimension between z and the encoder "
           "mean of decode(z). Lower: encoder and decoder agree.", "lower", decimals=3),
    Metric("reencode_lp", "re-encoding \u2212log q",
           f"Re-encoding error ({_NEVAE}, eq. 8, uncapped): \u2212log q(z | decode(z)) summed over dimensions, "
           "nats. Lower is better.", "lower", "nats", elbo_only=True),
    Metric("bubbles.evenness_cv", "bubble evenness (CV)",
           "Coefficient of variation of the per-group mean log posterior volume \u03a3 log \u03c3\u00b2, the "
           "posterior \u201cbubbles\u201d of Cho, \u201cHelping VAE by regularizing latent vector\u201d (figs. "
           "6\u20139): 0 when every group's posteriors are equally large. Lower is more even.", "lower",
           decimals=3, elbo_only=True, context="groups: {bubbles.group_by}"),
    _detail("bubbles.group_by", "bubble groups", "What the bubbles are grouped by (a label, or k-means clusters).",
            elbo_only=True),
    _detail("bubbles.groups", "bubbles per group", "List of {group, id, n, volume, distance} per group.",
            elbo_only=True),
    # ---- molecules (token runs)
    Metric("molecules.reconstruction_accuracy", "reconstruction accuracy",
           "Share of test molecules whose greedily decoded posterior mean is the same canonical SMILES "
           "(G\u00f3mez-Bombarelli et al. 2018). Higher is better.", "higher", "share", 3, **_MOL),
    Metric("molecules.token_accuracy", "token accuracy",
           "Share of token positions (real tokens and eos) of the greedy decode of the posterior mean that agree "
           "with the data (G\u00f3mez-Bombarelli et al. 2018). Higher is better.", "higher", "share", 3, **_MOL),
    _detail("molecules.reconstruction_n", "reconstructed molecules", "Test molecules the accuracies used.",
            unit="count", **_MOL),
    Metric("molecules.samples.validity", "sample validity",
           f"Share of decoded samples that RDKit parses ({_MOSES}, \u201cValid\u201d). Higher is better.", "higher",
           "share", 3, context="{molecules.samples.n} samples, sampler {molecules.samples.sampler}", **_MOL),
    Metric("molecules.samples.uniqueness", "sample uniqueness",
           f"Unique canonical molecules among the valid samples ({_MOSES}, \u201cUnique\u201d). Higher is better.",
           "higher", "share", 3, **_MOL),
    Metric("molecules.samples.novelty", "sample novelty",
           f"Share of unique valid samples not in the training set ({_MOSES}, \u201cNovelty\u201d). Higher is "
           "better.", "higher", "share", 3, **_MOL),
    Metric("molecules.samples.internal_diversity", "internal diversity",
           f"1 \u2212 mean Tanimoto similarity of Morgan fingerprints over pairs of valid samples ({_MOSES}, "
           "IntDiv1). Higher is better.", "higher", "share", 3, **_MOL),
    Metric("molecules.samples.fcd_test", "FCD vs test",
           "Fr\u00e9chet ChemNet Distance (Preuer et al. 2018) between the valid samples and the test molecules; "
           "small sets read high, so compare at equal numbers of samples. Lower is better.", "lower", "", 2, **_MOL),
    _detail("molecules.samples.fcd_test_skipped", "FCD skipped", "Why the FCD was not computed.", **_MOL),
    Metric("molecules.samples.snn_test", "SNN vs test",
           "Mean over the valid samples of the largest Tanimoto similarity of Morgan fingerprints (radius 2, 1024 "
           f"bits) to a test molecule ({_MOSES}, \u201cSNN/Test\u201d). Higher: samples nearer the data.",
           "higher", "share", 3, context="{molecules.samples.reference_n} test molecules", **_MOL),
    Metric("molecules.samples.frag_test", "Frag vs test",
           "Cosine similarity of the counts of BRICS fragments (Degen et al. 2008) in the valid samples and in the "
           f"test molecules ({_MOSES}, \u201cFrag/Test\u201d). Higher is better.", "higher", "share", 3, **_MOL),
    Metric("molecules.samples.scaf_test", "Scaf vs test",
           "Cosine similarity of the counts of Bemis\u2013Murcko scaffolds (Bemis & Murcko 1996) of 2 or more rings, "
           f"as MOSES' code counts them, in the valid samples and in the test molecules ({_MOSES}, "
           "\u201cScaf/Test\u201d). Higher is better.", "higher", "share", 3, **_MOL),
    Metric("molecules.samples.filters", "passes filters",
           "Share of the valid samples that pass MOSES' filters: no MCF or PAINS (Baell & Holloway 2010) "
           "substructure, no charge, only C, N, S, O, F, Cl, Br, H, no ring of 8 or more atoms "
           f"({_MOSES}, \u201cFilters\u201d). Higher is better.", "higher", "share", 3, **_MOL),
    *(Metric(f"molecules.samples.{name}_w1_test", f"{label} W1 vs test",
             f"Wasserstein-1 distance between the {what} of the valid samples and of the test molecules ({_MOSES}, "
             "property distributions). Lower is better.", "lower", "", decimals, **_MOL)
      for name, label, what, decimals in _MOSES_PROPERTIES),
    *(_detail(f"molecules.samples.{key}_skipped", f"{key} skipped", f"Why {key} was not computed.", **_MOL)
      for key in ("snn_test", "frag_test", "scaf_test", "filters", *(f"{p[0]}_w1_test" for p in _MOSES_PROPERTIES))),
    _detail("molecules.samples.filters_source", "filter patterns",
            "Where the MCF and PAINS patterns came from: molsets' files, as MOSES, or RDKit's PAINS alone.", **_MOL),
    _detail("molecules.samples.reference_n", "reference molecules",
            "Test molecules (a seeded random subset) that SNN, Frag, Scaf and the property distances compare with.",
            unit="count", **_MOL),
    _detail("molecules.samples.n", "samples", "Decoded samples scored.", unit="count", **_MOL),
    _detail("molecules.samples.n_valid", "valid samples", "Decoded samples that RDKit parses.", unit="count", **_MOL),
    _detail("molecules.samples.sampler", "sampler", "Where the sampled codes came from: the model's N-sampler.",
            **_MOL),
    _detail("molecules.samples.unique@1k", "unique@1k", f"Uniqueness among the first 1,000 valid samples ({_MOSES}).",
            unit="share", **_MOL),
    _detail("molecules.samples.unique@10k", "unique@10k",
            f"Uniqueness among the first 10,000 valid samples ({_MOSES}).", unit="share", **_MOL),
    _detail("molecules.samples.logp_mean", "mean logP", "Mean Crippen logP of the valid samples.", **_MOL),
    _detail("molecules.samples.qed_mean", "mean QED", "Mean QED (Bickerton et al. 2012) of the valid samples.",
            **_MOL),
    _detail("molecules.samples.sa_mean", "mean SA score", "Mean synthetic accessibility (Ertl & Schuffenhauer 2009) "
            "of the valid samples.", **_MOL),
    _detail("molecules.samples.mw_mean", "mean weight", "Mean molecular weight (daltons) of the valid samples.",
            **_MOL),
    _detail("molecules.samples.examples", "example samples", "The first ten decoded samples.", **_MOL),
    # ---- FD (feature net), image runs: the columns of the RAE paper's Table 1
    _fd("fd_rec", "FD (feature net) reconstructions",
        f"FD (feature net) between test data and its reconstructions ({_RAE}, \u201cREC\u201d)."),
    _fd("fd_n", "FD (feature net) N-sampler",
        "FD (feature net) between test data and decoded samples from the model's N-sampler, the one Gaussian "
        f"of {_RAE}, column \u201cN\u201d: the prior N(0, I) for VAEs and WAEs, a Gaussian fitted to the training "
        "codes for CV-VAEs, RAEs and AEs (fd.n_sampler says which). Stored as fd_prior before it was renamed: "
        "for models without a prior these samples never came from one."),
    _fd("fd_gmm", "FD (feature net) GMM",
        "FD (feature net) between test data and decoded samples from a 10-component Gaussian mixture fitted to "
        f"the training codes (ex-post density estimation, {_RAE}, \u201cGMM\u201d)."),
    _fd("fd_interp", "FD (feature net) interpolations",
        "FD (feature net) between test data and decoded midpoints between pairs of test codes "
        f"({_RAE}, \u201cInterp\u201d)."),
    _fd("fd_data", "FD (feature net) held-out data (reference)",
        "FD (feature net) between two sets of real data: the level the other FD rows can reach at this sample "
        "size; a reference, not a score of the model.", direction=None, decimals=2),
    _detail("fd.n_sampler", "N-sampler", "The sampler of fd_n: the model's n_sampler (prior, or gaussian).",
            data=(IMAGES,)),
    _detail("fd.feature_net", "feature net", "The feature net's record (hash = the weights' sha256, recipe "
            "version, shipped or trained locally, source, accuracy) and, per FD key, what was compared.",
            data=(IMAGES,)),
    _info("time_s", "evaluation time", "Wall time of the evaluation.", unit="seconds", decimals=2),
)

#: old key -> current key, for diagnostics.json files written before a rename
RENAMED: dict[str, str] = {"fd.fd_prior": "fd.fd_n", "fd.feature_net.fd_prior": "fd.feature_net.fd_n"}

_BY_KEY = {m.key: m for m in METRICS}
if len(_BY_KEY) != len(METRICS):  # pragma: no cover - a catalogue edit that repeats a key
    raise RuntimeError("the metric catalogue lists a key twice")


def fd_sampler_metric(key: str) -> Metric:
    """The entry of ``fd.fd_<name>``, the FD of a fitted sampler asked for with ``fd_samplers`` (e.g. two-stage)."""
    name = key.split(".")[-1][len("fd_"):]
    return _fd(f"fd_{name}", f"FD (feature net) {name.replace('_', '-')}",
               f"FD (feature net) between test data and decoded samples from the sampler "
               f"{name.replace('_', '-')} (vaelab sample --sampler {name.replace('_', '-')}).")


def metric(key: str) -> Metric | None:
    """The catalogue entry of a dotted key; ``fd.fd_<name>`` of any fitted sampler; None for an unknown key."""
    if key in _BY_KEY:
        return _BY_KEY[key]
    if key.startswith("fd.fd_") and key.count(".") == 1:
        return fd_sampler_metric(key)
    return None


def lookup(diag, key: str):
    """``diag["a"]["b"]`` for ``key = "a.b"``; None where any part is missing."""
    value = diag
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def rows(diags: Iterable[Mapping | None], roles: tuple[str, ...] = ("info", "metric")) -> list[Metric]:
    """The entries to show for these diagnostics, in catalogue order: those of ``roles`` that any of them has,
    with the FD of further fitted samplers (``fd.fd_<name>``, sorted by name) after the catalogue's FD rows."""
    diags = [d for d in diags if d]
    entries = [m for m in METRICS if m.role in roles]
    if "metric" in roles:
        extra = sorted({f"fd.{k}" for d in diags if isinstance(d.get("fd"), Mapping) for k in d["fd"]
                        if k.startswith("fd_") and f"fd.{k}" not in _BY_KEY and _is_num(d["fd"][k])})
        at = max((i + 1 for i, m in enumerate(entries) if m.key.startswith("fd.")), default=len(entries))
        entries[at:at] = [fd_sampler_metric(k) for k in extra]
    return [m for m in entries if any(lookup(d, m.key) is not None for d in diags)]


def skip_reason(diag: Mapping | None, key: str) -> str | None:
    """Why ``diag`` has no value for ``key``: its ``skipped`` entry (for the key, its group, or its last part),
    or a ``<key>_skipped`` sibling (``fcd_test_skipped``); None when it gives no reason."""
    skipped = diag.get("skipped") if diag else None
    if isinstance(skipped, Mapping):
        for name in (key, key.split(".")[0], key.split(".")[-1]):
            if name in skipped:
                return str(skipped[name]) if skipped[name] is not None else "skipped"
    sibling = lookup(diag, f"{key}_skipped") if diag else None
    return None if sibling is None else str(sibling)


# --------------------------------------------------------------------------- formatting


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def format_number(value, decimals: int | None = 2) -> str:
    """A stored value as text: floats with ``decimals`` decimals, ints as they are, None/NaN as an em dash.

    ``decimals=None`` gives four significant figures. The decimals are fixed (no switch
    to scientific notation for small values), so the CLI, the demo and the report print
    a value alike.
    """
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, float):
        return str(value)
    if not math.isfinite(value):
        return MISSING if math.isnan(value) else ("\u221e" if value > 0 else "\u2212\u221e")
    if decimals is None:
        return f"{value:.4g}"
    return f"{value:.{decimals}f}"


def format_value(m: Metric, diag: Mapping) -> str | None:
    """The value of ``m`` in ``diag`` as text (``91.80 ± 0.21``, ``13/32``); None when ``diag`` lacks it."""
    value = lookup(diag, m.key)
    if value is None:
        return None
    text = format_number(value, m.decimals)
    se = lookup(diag, m.error) if m.error else None
    if _is_num(se):
        text += f" \u00b1 {format_number(float(se), m.decimals)}"
    if m.out_of:
        total = lookup(diag, m.out_of)
        text += f"/{len(total) if isinstance(total, list) else '?'}"
    return text


_FIELD = re.compile(r"\{([^{}]+)\}")


def context_text(m: Metric, diag: Mapping) -> str | None:
    """``m.context`` with its ``{dotted.key}`` fields filled in from ``diag``; None when a field is missing."""
    if not m.context:
        return None
    values = {name: lookup(diag, name) for name in _FIELD.findall(m.context)}
    if any(v is None for v in values.values()):
        return None
    return _FIELD.sub(lambda hit: str(values[hit.group(1)]), m.context)


def upgrade_diagnostics(diag: Mapping) -> dict:
    """``diag`` with the keys of :data:`RENAMED` under their current names, in place of the old ones.

    Returns a new dict (``diag`` is not changed). An old key is renamed only where the
    current one is absent, so a file that has both (``fd_prior`` from ``--fd-sampler
    prior`` next to ``fd_n``) keeps both. A rename stays within its parent mapping.
    """
    out = _copy_mappings(diag)
    for old, new in RENAMED.items():
        *path, old_leaf = old.split(".")
        parent = lookup(out, ".".join(path)) if path else out
        new_leaf = new.split(".")[-1]
        if isinstance(parent, dict) and old_leaf in parent and new_leaf not in parent:
            items = [(new_leaf if k == old_leaf else k, v) for k, v in parent.items()]
            parent.clear()
            parent.update(items)
    return out


def read_diagnostics(path) -> dict:
    """A stored ``diagnostics.json`` file (``RunLayout(run_dir).diagnostics``), keys as the catalogue names them.

    Raises OSError when the file cannot be read and ValueError when it is not a JSON object.
    """
    path = Path(path)
    value = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(value, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    return upgrade_diagnostics(value)


def _copy_mappings(value):
    if isinstance(value, Mapping):
        return {k: _copy_mappings(v) for k, v in value.items()}
    return value
