"""The NE-VAE paper's toy task on a tiny image run: it converges, reports spread, writes its files."""

import json

import numpy as np
import pytest
import torch

from vaelab.errors import ConfigError


@pytest.fixture
def run(image_run_dir):
    import vaelab

    return vaelab.load_run(image_run_dir)


def test_match_converges_and_reports_the_spread(run, image_run_dir):
    from vaelab.latentopt import match_targets

    result = match_targets(run, targets=6, starts=4, steps=150, lr=0.05, progress=False)
    s = result.summary
    assert s["targets"] == 6 and s["starts"] == 4 and len(s["target_index"]) == 6
    assert s["loss"]["final_mean"] < s["loss"]["start_mean"]  # the decoded means moved towards the targets
    assert 0 <= s["converged"]["mean"] <= 150 and s["converged"]["max"] <= 150
    assert s["spread"]["code_sq_dist"] >= 0 and s["spread"]["code_std"] >= 0
    assert s["spread"]["start_code_sq_dist"] == pytest.approx(2 * run.model.latent_dim, rel=0.6)  # N(0, I) starts
    assert [r["threshold"] for r in s["stopping_rule"]] == [1e-3, 1e-4, 1e-5]
    folder = image_run_dir / "lso" / "match"
    for name in ("result.json", "summary.md", "match.npz", "match.png"):
        assert (folder / name).is_file(), name
    assert json.loads((folder / "result.json").read_text())["converged"] == s["converged"]
    arrays = np.load(folder / "match.npz")
    assert arrays["loss"].shape == (151, 6, 4) and arrays["x_final"].shape == (6, 4, 1, 8, 8)
    # model parameters are untouched and trainable again afterwards
    assert all(p.requires_grad for p in run.model.parameters())


def test_targets_and_starts_are_seeded_and_the_same_for_every_run(run):
    from vaelab.latentopt.convergence import pairwise_sq_dist
    from vaelab.latentopt.match_optim import pick_targets, starting_codes

    idx = pick_targets(run, 5, seed=3)
    assert torch.equal(idx, pick_targets(run, 5, seed=3)) and not torch.equal(idx, pick_targets(run, 5, seed=4))
    x = run.eval_data("test")[idx.to(run.device)].float()
    prior = starting_codes(run, x, {}, 3, "sampler", seed=0)  # (T, S, d)
    assert prior.shape == (5, 3, run.model.latent_dim)
    assert torch.equal(prior, starting_codes(run, x, {}, 3, "sampler", seed=0))
    # Starts drawn from q(z|x) begin near the encoder's answer: far less spread than prior starts.
    post = starting_codes(run, x, {}, 3, "posterior", seed=0)
    assert pairwise_sq_dist(post).mean() < pairwise_sq_dist(prior).mean()


def test_rows_are_independent_runs():
    # T*S rows in one Adam optimiser follow the paths each row would follow alone.
    from vaelab.latentopt.match_optim import optimise_codes

    torch.manual_seed(0)
    model = _Decoder()
    x = torch.rand(3, 6)
    z0 = torch.randn(3, 2)
    together = optimise_codes(model, x, z0, {}, steps=30, lr=0.1, loss="se", thresholds=(1e-3,))
    alone = optimise_codes(model, x[1:2], z0[1:2], {}, steps=30, lr=0.1, loss="se", thresholds=(1e-3,))
    torch.testing.assert_close(together.loss[:, 1], alone.loss[:, 0])
    torch.testing.assert_close(together.z[1], alone.z[0])


class _Decoder(torch.nn.Module):
    """decode(z).mean = sigmoid(W z): enough of a model for optimise_codes."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Linear(2, 6)

    def decode(self, z):
        return type("P", (), {"mean": torch.sigmoid(self.w(z))})()


@pytest.mark.parametrize("kwargs,needle", [
    ({"loss": "l1"}, "unknown match loss 'l1'"),
    ({"init": "zeros"}, "unknown init 'zeros'"),
    ({"steps": 0}, "--steps >= 1"),
])
def test_bad_match_settings_name_the_choices(run, kwargs, needle):
    from vaelab.latentopt import match_targets

    with pytest.raises(ConfigError, match=needle):
        match_targets(run, targets=2, starts=2, progress=False, **kwargs)
