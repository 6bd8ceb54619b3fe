"""Pure helpers of the report: flattening and diffing configs, best-value marking, figure order, formatting."""

from __future__ import annotations

import math

from vaelab.report.html import Markup, decimals_for, el, esc, fmt_fixed, fmt_number, table
from vaelab.diagnostics.catalogue import METRICS
from vaelab.plots.registry import FIGURES
from vaelab.report.sections.config import ABSENT, config_diff, flatten
from vaelab.report.sections.diagnostics import best_indices
from vaelab.report.sections.figures import figure_caption, figure_key, figure_kind, figure_title


def test_flatten_gives_dotted_keys_with_lists_as_leaves_and_no_empty_mappings():
    cfg = {"model": {"name": "vae", "hidden": [200, 200], "options": {}, "sub": {"a": {"b": 1}}}, "seed": 0}
    assert flatten(cfg) == {"model.name": "vae", "model.hidden": [200, 200], "model.sub.a.b": 1, "seed": 0}


def test_config_diff_keeps_only_differing_keys_and_marks_absent_ones():
    a = flatten({"model": {"latent_dim": 32, "options": {}}, "lr": 0.001, "same": [1, 2], "n": 1})
    b = flatten({"model": {"latent_dim": 16, "options": {"beta": 4.0}}, "lr": 0.001, "same": [1, 2], "n": 1.0})
    diff = dict(config_diff([a, b]))
    assert set(diff) == {"model.latent_dim", "model.options.beta"}
    assert diff["model.latent_dim"] == [32, 16]
    assert diff["model.options.beta"] == [ABSENT, 4.0]


def test_config_diff_tells_bool_from_int_and_none_from_absent():
    diff = dict(config_diff([{"x": True, "y": None}, {"x": 1}]))
    assert set(diff) == {"x", "y"}
    assert diff["y"] == [None, ABSENT]


def test_config_diff_of_one_or_identical_configs_is_empty():
    cfg = flatten({"a": {"b": 1}})
    assert config_diff([cfg]) == []
    assert config_diff([cfg, dict(cfg), dict(cfg)]) == []


def test_best_is_the_minimum_for_lower_is_better():
    assert best_indices([95.2, 91.0, 103.0], "lower") == {1}


def test_best_is_the_maximum_for_higher_is_better():
    assert best_indices([8.9, 9.4, 2.0], "higher") == {1}
    assert best_indices([13, 7], "higher") == {0}


def test_neutral_rows_get_no_best():
    assert best_indices([72.1, 90.0], None) == set()
    directions = {m.key: m.direction for m in METRICS}
    assert directions["rec"] is None and directions["kl"] is None
    assert directions["mi"] == "higher" and directions["au"] == "higher"
    for key in ("neg_elbo", "iw_nll", "kl_minus_mi", "reencode_se", "reencode_lp", "bubbles.evenness_cv",
                "fd.fd_rec", "fd.fd_n", "fd.fd_interp"):
        assert directions[key] == "lower", key


def test_best_needs_two_runs_with_a_value_and_ignores_missing_and_nan():
    assert best_indices([95.2], "lower") == set()
    assert best_indices([95.2, None, float("nan")], "lower") == set()
    assert best_indices([None, 3.0, float("nan"), 2.0], "lower") == {3}


def test_ties_are_all_best_unless_every_run_ties():
    assert best_indices([1.0, 1.0, 2.0], "lower") == {0, 1}
    assert best_indices([1.0, 1.0], "lower") == set()


def test_figures_follow_the_fixed_order_then_others_alphabetically():
    stems = ["zeta", "samples", "lattice", "interpolations_origin", "interpolations", "curves", "alpha",
             "latent_scatter", "bubbles", "activity", "reconstructions", "traversals", "molecule-map",
             "property-histograms", "molecule-traversals"]
    ordered = sorted(stems, key=figure_key)
    assert ordered == ["curves", "activity", "latent_scatter", "bubbles", "reconstructions", "samples",
                       "traversals", "interpolations", "interpolations_origin", "lattice", "molecule-map",
                       "molecule-traversals", "property-histograms", "alpha", "zeta"]
    assert figure_kind("latent-scatter") == "latent-scatter" and figure_kind("curvesque") is None
    assert figure_kind("molecule-traversals") == "molecule-traversals"
    assert len(FIGURES) == 13


def test_figure_titles_and_captions_come_from_the_plots_registry():
    assert figure_title("curves") == FIGURES["curves"].title == "Training curves"
    assert figure_title("interpolations_origin") == "Interpolations \u2014 origin"  # a variant of a kind
    assert figure_title("zzz_custom") == "Zzz custom"
    assert figure_caption("latent-scatter") == FIGURES["latent-scatter"].caption
    assert figure_caption("zzz") == "zzz.png from the run's plots folder."


def test_escaping_helpers():
    assert esc("<script>&\"'") == "&lt;script&gt;&amp;&quot;&#x27;"
    assert esc(Markup("<b>ok</b>")) == "<b>ok</b>"
    assert el("td", "<x>", title='a"b') == '<td title="a&quot;b">&lt;x&gt;</td>'
    page = table(["<h>"], [["<r>", ("<c>", {"class": "num"})]])
    assert "<h>" not in page and "<r>" not in page and "<c>" not in page
    assert '<td class="num">&lt;c&gt;</td>' in page


def test_number_formatting():
    assert fmt_number(None) == "\u2014" and fmt_number(float("nan")) == "\u2014"
    assert fmt_number(3) == "3" and fmt_number(True) == "true"
    assert fmt_number(88.1234) == "88.12" and fmt_number(1.5e-5) == "1.500e-05"
    assert decimals_for([95.2, 103.9, None]) == 2 and decimals_for([0.12, 0.31]) == 4
    assert decimals_for([]) is None and decimals_for([1e-4]) is None
    assert fmt_fixed(95.2, 2) == "95.20" and fmt_fixed(13, 2) == "13" and fmt_fixed(math.inf, 2) == "\u221e"
