import pytest

from vaelab.config import load_config, make_config, save_config
from vaelab.errors import ConfigError


def test_defaults_and_overrides():
    cfg = make_config({"model": {"latent_dim": 2}}, ["train.epochs=3", "model.hidden=[64, 32]", "train.compile=true"])
    assert cfg.model.latent_dim == 2 and cfg.train.epochs == 3
    assert cfg.model.hidden == [64, 32] and cfg.train.compile is True
    assert cfg.data.name == "mnist5k"


def test_unknown_key_lists_valid_keys():
    with pytest.raises(ConfigError) as err:
        make_config({"model": {"latnt_dim": 2}})
    msg = str(err.value)
    assert "model.latnt_dim" in msg and "Did you mean 'latent_dim'" in msg and "hidden" in msg


def test_unknown_section():
    with pytest.raises(ConfigError, match="unknown config key 'trian'.*Valid keys at the top level"):
        make_config({"trian": {}})


def test_wrong_type_names_key_and_value():
    with pytest.raises(ConfigError, match=r"'train.epochs'.*integer.*'many'"):
        make_config(overrides=["train.epochs=many"])


def test_bad_choice_lists_allowed_values():
    with pytest.raises(ConfigError, match=r"'model.posterior'.*'gaussian'.*'bounded-gaussian'"):
        make_config(overrides=["model.posterior=weird"])


def test_malformed_override():
    with pytest.raises(ConfigError, match="key=value"):
        make_config(overrides=["epochs"])


def test_yaml_roundtrip_and_safe_loading(tmp_path):
    cfg = make_config(overrides=["model.latent_dim=5", "optim.betas=[0.9, 0.9]"])
    save_config(cfg, tmp_path / "c.yaml")
    again = load_config(tmp_path / "c.yaml")
    assert again == cfg
    (tmp_path / "evil.yaml").write_text("model: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(tmp_path / "evil.yaml")


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_fractions_must_leave_training_data():
    with pytest.raises(ConfigError, match="below 1"):
        make_config({"data": {"valid_fraction": 0.6, "test_fraction": 0.5}})
