"""Where the config meets the model registry: model-name typos, and a KL schedule on a model without a KL term."""

import pytest

import vaelab
from vaelab.config import make_config
from vaelab.errors import ConfigError, DataError, did_you_mean
from vaelab.models.registry import ENTRIES, _ensure_builtin

_ensure_builtin()


def test_did_you_mean_picks_the_closest_valid_name_or_nothing():
    assert did_you_mean("bounded-mena", ["bounded-mean", "bounded-both", "vae"]) == " Did you mean 'bounded-mean'?"
    assert did_you_mean("gan", ["bounded-mean", "iwae"]) == ""


def test_a_model_typo_gets_a_did_you_mean_in_the_config_and_the_api(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown model 'bounded-mena'. Did you mean 'bounded-mean'\? Available: "):
        make_config({"model": {"name": "bounded-mena"}})
    with pytest.raises(ConfigError, match=r"unknown model 'vea'. Did you mean 'vae'\?"):
        vaelab.train(model="vea", out=tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_a_dataset_typo_gets_a_did_you_mean(tmp_path):
    with pytest.raises(DataError, match=r"unknown dataset 'mnsit5k'. Did you mean 'mnist5k'\?"):
        vaelab.train(data="mnsit5k", out=tmp_path / "r")
    with pytest.raises(DataError, match=r"unknown option\(s\) nn for dataset 'synthetic'. Did you mean 'n'\?"):
        vaelab.train({"data": {"name": "synthetic", "options": {"nn": 10}}}, out=tmp_path / "r")


@pytest.mark.parametrize("name, override", [("rae", "kl_schedule.end=0.5"), ("ae", "kl_schedule.kind=linear"),
                                            ("wae-mmd", "kl_schedule.cap=0.8"), ("rae-gp", "kl_schedule.epochs=5")])
def test_a_kl_schedule_on_a_model_without_a_kl_term_is_an_error(name, override):
    with pytest.raises(ConfigError) as err:
        make_config({"model": {"name": name}}, [override])
    msg = str(err.value)
    assert f"model '{name}' has no KL term" in msg and f"remove {override}" in msg and "model.options: rec," in msg


def test_beta_on_rae_fails_before_any_data_loads(tmp_path):
    # the dataset does not exist: the KL error comes first, from config validation
    with pytest.raises(ConfigError, match=r"model 'rae' has no KL term.*kl_schedule.end=0.5.*--beta"):
        vaelab.train(model="rae", beta=0.5, data="no-such-data", out=tmp_path / "r")


def test_defaults_and_presets_do_not_trip_the_kl_check():
    for name in ENTRIES:
        make_config({"model": {"name": name}})  # every preset of a deterministic model leaves the schedule alone
    assert make_config({"model": {"name": "rae"}}, ["kl_schedule.end=1.0"]).kl_schedule.end == 1.0  # the default
    assert make_config({"model": {"name": "vae"}}, ["kl_schedule.end=0.5"]).kl_schedule.end == 0.5


def test_a_saved_run_with_an_ignored_schedule_still_loads():
    saved = {"model": {"name": "rae", "posterior": "deterministic"}, "kl_schedule": {"end": 0.5}}
    assert make_config(saved, saved_run=True).kl_schedule.end == 0.5
    with pytest.raises(ConfigError, match="no KL term"):
        make_config(saved)
