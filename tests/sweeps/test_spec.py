"""Sweep files expand into validated trials with names that follow from their values."""

import pytest

from vaelab.errors import ConfigError
from vaelab.sweeps.spec import expand, load_sweep

BASE = {"data": {"name": "synthetic"}, "train": {"epochs": 1}}


def test_grid_times_zip_times_seeds_in_order_with_readable_names():
    trials = expand({"base": BASE, "grid": {"kl_schedule.end": [0.5, 1.0], "model.latent_dim": [2, 16]},
                     "zip": {"model.hidden": [[32], [64]], "model.decoder_hidden": [[32], [64]]}, "seeds": 2})
    assert len(trials) == 2 * 2 * 2 * 2
    first = trials[0]
    assert first.name == "end-0.5_latent_dim-2_hidden-32_decoder_hidden-32_seed-0"
    assert first.config.kl_schedule.end == 0.5 and first.config.model.latent_dim == 2
    assert first.config.model.hidden == [32] and first.config.train.seed == 0
    assert trials[1].name.endswith("seed-1") and trials[1].config.train.seed == 1
    assert len({t.name for t in trials}) == len(trials)
    assert {t.config.data.name for t in trials} == {"synthetic"}  # the base is shared, not mutated


def test_search_draws_are_seeded_and_in_range():
    sweep = {"base": BASE, "search": {"optim.lr": {"loguniform": [1e-4, 1e-2]}, "model.latent_dim": {"choice": [2, 4]}},
             "num_samples": 5}
    a, b = expand(sweep), expand(sweep)
    assert [t.varied for t in a] == [t.varied for t in b]  # same search_seed, same draws
    assert all(1e-4 <= t.config.optim.lr <= 1e-2 and t.config.model.latent_dim in (2, 4) for t in a)
    assert [t.varied for t in expand({**sweep, "search_seed": 1})] != [t.varied for t in a]


@pytest.mark.parametrize("sweep,needle", [
    ({"base": BASE, "grid": {"model.latnt_dim": [2]}}, "sweep trial 'latnt_dim-2': unknown config key"),
    ({"base": BASE, "grid": {"model.latent_dim": [2, -1]}}, "sweep trial 'latent_dim--1'"),
    ({"base": BASE, "grid": {"model.latent_dim": []}}, "non-empty lists"),
    ({"base": BASE, "zip": {"model.latent_dim": [2, 3], "train.epochs": [1]}}, "one length"),
    ({"base": BASE, "seeds": 0}, "seeds"),
    ({"base": BASE, "search": {"optim.lr": {"loguniform": [0, 1]}}, "num_samples": 2}, "low > 0"),
    ({"base": BASE, "search": {"optim.lr": {"normal": [0, 1]}}, "num_samples": 2}, "uniform, loguniform, choice"),
    ({"base": BASE, "search": {"optim.lr": {"uniform": [0.1, 1]}}}, "num_samples"),
])
def test_a_bad_sweep_is_one_clear_error(sweep, needle):
    with pytest.raises(ConfigError, match=None) as err:
        expand(sweep)
    assert needle in str(err.value)


def test_a_sweep_file_with_a_base_config_file_and_an_unknown_key(tmp_path):
    (tmp_path / "base.yaml").write_text("data: {name: synthetic}\n")
    (tmp_path / "sweep.yaml").write_text("base: base.yaml\ngrid: {model.latent_dim: [2, 3]}\n")
    trials = expand(load_sweep(tmp_path / "sweep.yaml"))
    assert [t.name for t in trials] == ["latent_dim-2", "latent_dim-3"]
    (tmp_path / "bad.yaml").write_text("base: base.yaml\ngird: {model.latent_dim: [2]}\n")
    with pytest.raises(ConfigError, match="unknown key 'gird'. Did you mean 'grid'"):
        load_sweep(tmp_path / "bad.yaml")
