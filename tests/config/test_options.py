"""Typed variant options (``model.options``): validation, did-you-mean, defaults declared once, renamed keys."""

import warnings

import pytest

from vaelab.config import make_config
from vaelab.errors import ConfigError


def _options(name, overrides=(), **options):
    return make_config({"model": {"name": name, "options": options}}, overrides).model.options


def test_an_option_typo_gets_a_did_you_mean_and_the_valid_names():
    with pytest.raises(ConfigError) as err:
        _options("rae", lamda=1e-3)
    msg = str(err.value)
    assert "unknown config key 'model.options.lamda' for model 'rae'" in msg
    assert "Did you mean 'lam'?" in msg and "Valid options: rec, code_weight, reg, lam, gp_form, scaling" in msg


def test_a_preset_checks_the_options_of_its_variant():
    with pytest.raises(ConfigError, match=r"'model.options.code_wieght' for model 'rae-l2'. Did you mean 'code_weight'"):
        _options("rae-l2", code_wieght=1.0)
    with pytest.raises(ConfigError, match=r"'model.options.samples' for model 'cvae'.*Valid options: k"):
        _options("cvae", samples=3)


@pytest.mark.parametrize("override, words", [
    ("model.options.reg=tv", ["model.options.reg", "'none', 'l2', 'gp' or 'sn'", "'tv'"]),
    ("model.options.k=0", ["model.options.k", "greater than 0"]),
    ("model.options.scales=[]", ["model.options.scales", "at least 1"]),
    ("model.options.anchor_rate=.inf", ["model.options.anchor_rate", "finite"]),
])
def test_a_bad_option_value_names_the_key_and_the_allowed_values(override, words):
    name = {"model.options.reg": "rae", "model.options.k": "iwae", "model.options.scales": "wae-mmd",
            "model.options.anchor_rate": "anchored-vae"}[override.partition("=")[0]]
    with pytest.raises(ConfigError) as err:
        _options(name, [override])
    assert all(w in str(err.value) for w in words), str(err.value)


def test_the_config_holds_every_option_with_its_default():
    assert _options("wae-mmd") == {"rec": "auto", "lam": 10.0, "kernel_c": None,
                                   "scales": [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0]}
    assert _options("rae") == {"rec": "auto", "code_weight": None, "reg": "none", "lam": None, "gp_form": None,
                               "scaling": "authors"}
    assert _options("ae")["code_weight"] == 0.0 and _options("rae-gp")["reg"] == "gp"
    assert _options("iwae", k="7") == {"k": 7}  # YAML text from --set is parsed to the declared type
    assert _options("rae", code_weight="1e-3")["code_weight"] == 1e-3  # PyYAML reads 1e-3 as a string
    assert _options("vae") == {"k": 1}  # the VAE's samples of z (Burda et al.'s "VAE with k samples")


def test_rae_reads_the_old_beta_key_as_code_weight_with_a_note():
    with pytest.warns(FutureWarning, match=r"model.options.beta is now model.options.code_weight.*code_weight=0.5"):
        options = _options("rae", beta=0.5)
    assert options["code_weight"] == 0.5 and "beta" not in options
    with pytest.warns(FutureWarning):
        assert _options("rae-l2", ["model.options.beta=0"])["code_weight"] == 0.0


def test_a_saved_run_reads_the_old_name_silently_and_the_preset_does_not_override_it():
    old = {"model": {"name": "ae", "posterior": "deterministic", "options": {"beta": 0.25, "reg": "none"}}}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cfg = make_config(old, saved_run=True)
    assert cfg.model.options["code_weight"] == 0.25  # not the ae preset's 0.0


def test_a_saved_run_that_predates_an_option_reads_its_old_value_not_the_default():
    old = {"model": {"name": "rae-gp", "options": {"code_weight": 1e-4, "reg": "gp", "lam": None}}}
    assert make_config(old, saved_run=True).model.options["scaling"] == "vaelab"  # RAEOptions.legacy
    assert make_config({"model": {"name": "rae-gp"}}, saved_run=True).model.options["scaling"] == "vaelab"
    assert make_config(old).model.options["scaling"] == "authors"  # a config the user writes: today's default
    saved = make_config({"model": {"name": "rae-gp"}})  # a run saved today records its value
    assert make_config(saved.model_dump(mode="json"), saved_run=True).model.options["scaling"] == "authors"


def test_beta_as_a_model_option_points_to_the_kl_weight():
    with pytest.raises(ConfigError, match=r"'model.options.beta' for model 'vae'. The KL weight beta is kl_schedule.end"):
        _options("vae", beta=2.0)


def test_old_and_new_names_together_are_an_error():
    with pytest.raises(ConfigError, match="old name of model.options.code_weight; give code_weight only"):
        _options("rae", beta=0.5, code_weight=0.5)


def test_a_saved_config_round_trips_with_its_options():
    cfg = make_config({"model": {"name": "rae-l2", "options": {"lam": 1e-3}}})
    again = make_config(cfg)
    assert again == cfg and again.model.options["lam"] == 1e-3 and again.model.options["reg"] == "l2"
