"""``arms:`` in a sweep file: named settings crossed with the grid and the seeds."""

import pytest

from vaelab.errors import ConfigError
from vaelab.sweeps.spec import expand


def test_arms_name_the_trials_and_cross_the_seeds():
    sweep = {"base": {"train": {"epochs": 1}},
             "arms": {"vae": {"model.name": "vae"}, "iwae-5": {"model.name": "iwae", "model.options.k": 5}},
             "seeds": [0, 3]}
    trials = expand(sweep)
    assert [t.name for t in trials] == ["vae_seed-0", "vae_seed-3", "iwae-5_seed-0", "iwae-5_seed-3"]
    assert trials[2].varied == {"arm": "iwae-5", "model.name": "iwae", "model.options.k": 5, "train.seed": 0}
    assert trials[2].config.model.options["k"] == 5 and trials[1].config.train.seed == 3
    assert trials[0].config.model.name == "vae"


def test_the_sweep_figure_draws_an_arm_as_one_axis_not_its_settings():
    """28 arms of 20 settings once made sweep.png 6,000 pixels wide with collapsed axes: the arm stands for them."""
    from vaelab.sweeps.figure import varied_keys

    sweep = {"base": {"train": {"epochs": 1}},
             "arms": {"vae": {"model.name": "vae"}, "iwae-5": {"model.name": "iwae", "model.options.k": 5}},
             "grid": {"model.latent_dim": [2, 4]}, "seeds": [0, 3]}
    assert varied_keys(expand(sweep)) == ["arm", "model.latent_dim", "train.seed"]
    assert varied_keys(expand({"grid": {"model.latent_dim": [2, 4]}})) == ["model.latent_dim"]


def test_arms_alone_are_named_by_their_labels():
    trials = expand({"arms": {"a": {"model.latent_dim": 2}, "b": {"model.latent_dim": 3}}})
    assert [t.name for t in trials] == ["a", "b"] and trials[1].config.model.latent_dim == 3


@pytest.mark.parametrize("arms,match", [({"a": 3}, "must map names to settings"),
                                        ({"a/b": {}}, "must be letters, digits"),
                                        ({"a": {"model.nme": "vae"}}, "sweep trial 'a'")])
def test_bad_arms_are_one_line(arms, match):
    with pytest.raises(ConfigError, match=match):
        expand({"arms": arms})
