"""Models (src/vaelab/models), their objectives (src/vaelab/objectives) and the Run API (src/vaelab/rundir)."""

import math
import shutil

import numpy as np
import pytest
import torch
import yaml

import vaelab
from vaelab.config import DataConfig, ModelConfig
from vaelab.data import load_data
from vaelab.distributions import Bernoulli, DiagonalGaussian, PointMass
from vaelab.errors import CheckpointError, ConfigError
from vaelab.models import build_model, model_table, resolve_likelihood
from vaelab.objectives import LossOutput

IMAGE = (1, 28, 28)
LIKELIHOODS = ["bernoulli", "gaussian", "gaussian-fixed"]


def _cfg(**kw):
    base = {"latent_dim": 3, "hidden": [32], "conv_channels": [4, 4, 8, 8], "decoder_hidden": [32]}
    base.update(kw)
    return ModelConfig(**base)


def _images(b=6, seed=0):
    return torch.rand(b, *IMAGE, generator=torch.Generator().manual_seed(seed))


def _analytic_kl(q):
    return 0.5 * (q.loc ** 2 + q.logvar.exp() - 1.0 - q.logvar)


# ---------------------------------------------------------------- forward pass, every combination

@pytest.mark.parametrize("architecture", ["mlp", "conv"])
@pytest.mark.parametrize("likelihood", LIKELIHOODS)
@pytest.mark.parametrize("posterior", ["gaussian", "bounded-gaussian"])
def test_forward_returns_loss_output_with_consistent_shapes(posterior, likelihood, architecture):
    torch.manual_seed(0)
    model = build_model(_cfg(posterior=posterior, likelihood=likelihood, architecture=architecture), IMAGE, "unit")
    x = _images()
    out = model(x)
    assert isinstance(out, LossOutput)
    assert out.loss.dim() == 0 and torch.isfinite(out.loss)
    assert out.rec.shape == (6,) and out.kl.shape == (6,)
    assert out.kl_per_dim.shape == (6, 3)
    assert torch.allclose(out.kl_per_dim.sum(-1), out.kl)
    assert torch.all(out.kl_per_dim >= 0)
    # The KL is the analytic Gaussian KL of the encoder's posterior against N(0, I).
    q = model.encode(x)
    assert isinstance(q, DiagonalGaussian)
    assert torch.allclose(out.kl_per_dim, _analytic_kl(q), atol=1e-5)
    assert torch.allclose(out.loss, (out.rec + out.kl).mean())
    out.loss.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


def test_deterministic_posterior_head_gives_a_point_mass():
    # The VAE refuses this head (see below); deterministic autoencoders use it.
    from vaelab.distributions import build_posterior_head

    q = build_posterior_head("deterministic", 16, 3)(torch.randn(4, 16))
    assert isinstance(q, PointMass)
    assert q.mean.shape == (4, 3)
    assert torch.equal(q.rsample(), q.mean) and q.rsample((2,)).shape == (2, 4, 3)


def test_likelihood_heads_match_the_config():
    types = {"bernoulli": Bernoulli, "gaussian": DiagonalGaussian, "gaussian-fixed": DiagonalGaussian}
    z = torch.randn(5, 3)
    for name, cls in types.items():
        p = build_model(_cfg(likelihood=name), IMAGE, "unit").decode(z)
        assert isinstance(p, cls) and p.mean.shape == (5, *IMAGE)
    fixed = build_model(_cfg(likelihood="gaussian-fixed", likelihood_std=0.5), IMAGE, "unit").decode(z)
    assert torch.allclose(fixed.logvar, torch.full_like(fixed.mean, 2 * math.log(0.5)))
    bounded = build_model(_cfg(likelihood="gaussian", logvar_bound=0.3), IMAGE, "unit").decode(z * 100)
    assert float(bounded.logvar.detach().abs().max()) <= 0.3 + 1e-6


def test_gaussian_fixed_reconstruction_is_scaled_squared_error():
    torch.manual_seed(0)
    model = build_model(_cfg(likelihood="gaussian-fixed", likelihood_std=2.0), IMAGE, "unit")
    x = _images(3)
    p = model.decode(torch.randn(3, 3))
    sq = ((x - p.mean) ** 2).sum(dim=(1, 2, 3))
    expected = -0.5 * (sq / 4.0 + 784 * (math.log(2 * math.pi) + math.log(4.0)))
    assert torch.allclose(p.log_prob(x), expected, rtol=1e-5)


def test_real_data_gets_identity_mean_and_gaussian_likelihood():
    model = build_model(_cfg(), (10,), "real")
    p = model.decode(torch.randn(200, 3) * 3)
    assert isinstance(p, DiagonalGaussian)
    mean = p.mean.detach()
    assert float(mean.min()) < 0.0 or float(mean.max()) > 1.0  # not squashed into [0, 1]


@pytest.mark.parametrize("kind,expected", [("binary", "bernoulli"), ("unit", "bernoulli"), ("real", "gaussian")])
def test_resolve_likelihood_auto(kind, expected):
    assert resolve_likelihood(ModelConfig(), kind) == expected
    assert resolve_likelihood(ModelConfig(likelihood="gaussian-fixed"), kind) == "gaussian-fixed"


def test_resolve_likelihood_tokens_needs_the_categorical_likelihood():
    assert resolve_likelihood(ModelConfig(), "tokens") == "categorical"
    with pytest.raises(ConfigError, match="token data"):
        resolve_likelihood(ModelConfig(likelihood="bernoulli"), "tokens")


# ---------------------------------------------------------------- the loss and beta

def test_loss_is_mean_of_rec_plus_beta_kl():
    model = build_model(_cfg(), IMAGE, "unit")
    x = _images(8)
    outs = {}
    for beta in (0.0, 0.5, 1.0):
        torch.manual_seed(42)  # the same z draw for every beta
        outs[beta] = model(x, beta=beta)
        out = outs[beta]
        assert torch.allclose(out.loss, (out.rec + beta * out.kl).mean())
    for beta in (0.5, 1.0):
        assert torch.allclose(outs[beta].rec, outs[0.0].rec) and torch.allclose(outs[beta].kl, outs[0.0].kl)
    assert torch.allclose(outs[0.0].loss, outs[0.0].rec.mean())
    assert torch.allclose(outs[1.0].loss - outs[0.0].loss, outs[0.0].kl.mean(), atol=1e-4)
    assert float(outs[0.0].kl.detach().mean()) > 0.01  # so the beta checks above are not vacuous
    assert torch.allclose(outs[0.5].neg_elbo, outs[1.0].neg_elbo)


def test_beta_can_be_a_zero_dim_tensor():
    model = build_model(_cfg(), IMAGE, "unit")
    x = _images(4)
    torch.manual_seed(1)
    a = model(x, beta=0.25)
    torch.manual_seed(1)
    b = model(x, beta=torch.tensor(0.25))
    assert torch.allclose(a.loss, b.loss)


def test_rec_is_negative_log_likelihood_of_the_decoded_sample():
    model = build_model(_cfg(), IMAGE, "unit")
    x = (_images(4) > 0.5).float()
    torch.manual_seed(7)
    out = model(x)
    torch.manual_seed(7)
    z = model.encode(x).rsample()
    assert torch.allclose(out.rec, -model.decode(z).log_prob(x))
    assert torch.all(out.rec > 0)  # Bernoulli log-likelihoods are <= 0


# ---------------------------------------------------------------- decode with sample dimensions

@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("likelihood", LIKELIHOODS)
def test_decode_accepts_leading_sample_dims(likelihood, batch_norm):
    torch.manual_seed(0)
    model = build_model(_cfg(likelihood=likelihood, batch_norm=batch_norm), IMAGE, "unit")
    if batch_norm:
        model.train()
        for _ in range(3):  # move the running statistics away from their initial values
            model(_images(16, seed=1))
    model.eval()
    x = _images(5)
    z = torch.randn(4, 5, 3)
    with torch.no_grad():
        p = model.decode(z)
        assert p.mean.shape == (4, 5, *IMAGE)
        lp = p.log_prob(x)
        assert lp.shape == (4, 5)
        for k in range(4):
            one = model.decode(z[k])
            assert torch.allclose(lp[k], one.log_prob(x), rtol=1e-5, atol=1e-4)
            assert torch.allclose(p.mean[k], one.mean, atol=1e-6)


def test_decode_with_two_leading_dims():
    model = build_model(_cfg(), (6,), "binary").eval()
    z = torch.randn(2, 3, 4, 3)
    p = model.decode(z)
    assert p.mean.shape == (2, 3, 4, 6)
    assert torch.allclose(p.mean[1, 2], model.decode(z[1, 2]).mean)


# ---------------------------------------------------------------- sampling

def test_sample_shape_and_range_for_bernoulli():
    model = build_model(_cfg(), IMAGE, "unit").eval()
    s = model.sample(7)
    assert s.shape == (7, *IMAGE)
    assert float(s.min()) >= 0.0 and float(s.max()) <= 1.0
    assert len(torch.unique(s)) > 2  # means, not binary samples
    drawn = model.sample(7, mean=False)
    assert set(torch.unique(drawn).tolist()) <= {0.0, 1.0}


def test_sample_shape_for_flat_data_and_generator_reproducibility():
    model = build_model(_cfg(), (12,), "real").eval()
    a = model.sample(5, generator=torch.Generator().manual_seed(0))
    b = model.sample(5, generator=torch.Generator().manual_seed(0))
    c = model.sample(5, generator=torch.Generator().manual_seed(1))
    assert a.shape == (5, 12)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert not a.requires_grad


# ---------------------------------------------------------------- configuration errors

def test_unknown_model_option_is_a_config_error():
    with pytest.raises(ConfigError, match=r"unknown config key 'model.options.dropout' for model 'vae'.*"
                                          r"Valid options: k \("):
        build_model(_cfg(options={"dropout": 0.1}), IMAGE, "unit")


def test_unknown_model_name_lists_vae():
    with pytest.raises(ConfigError, match=r"unknown model 'gan'.*Available: .*vae"):
        build_model(_cfg(name="gan"), IMAGE, "unit")


def test_a_model_option_typo_gets_a_did_you_mean_when_built_directly():
    with pytest.raises(ConfigError, match=r"'model.options.kk' for model 'iwae'. Did you mean 'k'\? Valid options: k"):
        build_model(_cfg(name="iwae", options={"kk": 3}), IMAGE, "unit")


def test_model_table_lists_vae():
    names = [r["name"] for r in model_table()]
    assert "vae" in names


# ---------------------------------------------------------------- bounded posterior

@pytest.mark.parametrize("m,s,v", [(3.0, 1.0, 0.0), (0.5, 2.0, 1.0), (2.0, 0.0, -0.5)])
def test_bounded_posterior_respects_bounds_on_extreme_inputs(m, s, v):
    torch.manual_seed(0)
    model = build_model(_cfg(posterior="bounded-gaussian", bound_m=m, bound_s=s, bound_v=v), IMAGE, "unit")
    x = (torch.rand(64, *IMAGE) - 0.5) * 1e4
    with torch.no_grad():
        q = model.encode(x)
    assert torch.isfinite(q.loc).all() and torch.isfinite(q.logvar).all()
    assert float(q.loc.abs().max()) <= m + 1e-6
    assert float(q.logvar.min()) >= -s - v - 1e-6 and float(q.logvar.max()) <= s - v + 1e-6
    # The inputs really are extreme: the bound is reached, so the checks above are not vacuous.
    assert float(q.loc.abs().max()) > 0.99 * m
    if s > 0:
        assert float(q.logvar.max()) > s - v - 0.01 * s or float(q.logvar.min()) < -s - v + 0.01 * s


def test_unbounded_posterior_exceeds_bounds_on_the_same_inputs():
    torch.manual_seed(0)
    model = build_model(_cfg(posterior="gaussian"), IMAGE, "unit")
    with torch.no_grad():
        q = model.encode((torch.rand(64, *IMAGE) - 0.5) * 1e4)
    assert float(q.loc.abs().max()) > 3.0


# ---------------------------------------------------------------- learning

def test_vae_learns_synthetic_data():
    data = load_data(DataConfig(name="synthetic", options={"n": 625}))
    x = data.train.x[:500].float()
    assert x.shape == (500, 64)
    torch.manual_seed(0)
    model = build_model(ModelConfig(latent_dim=2, hidden=[64]), data.event_shape, data.kind)

    def neg_elbo():
        model.eval()
        with torch.no_grad():
            torch.manual_seed(123)
            return float(torch.stack([model(x).neg_elbo.mean() for _ in range(5)]).mean())

    before = neg_elbo()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(200):
        opt.zero_grad()
        model(x).loss.backward()
        opt.step()
    after = neg_elbo()
    assert math.isfinite(after)
    assert after < 0.8 * before, (before, after)
    assert after < 64 * math.log(2) * 0.9  # clearly better than coin flips for every pixel


# ---------------------------------------------------------------- the Run API

@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VAELAB_CACHE", str(tmp_path_factory.mktemp("run_cache")))
        mp.delenv("VAELAB_DATA", raising=False)
        out = tmp_path_factory.mktemp("runs") / "r"
        run = vaelab.train({"data": {"name": "synthetic", "options": {"n": 300}},
                            "model": {"latent_dim": 2, "hidden": [16]},
                            "train": {"epochs": 1, "progress": False}}, out=out)
    return run


def test_train_returns_a_loaded_run(trained_run):
    assert (trained_run.path / "config.yaml").is_file()
    assert trained_run.config.model.latent_dim == 2
    assert trained_run.meta["event_shape"] == [64] and trained_run.meta["kind"] == "binary"
    assert trained_run.summary["status"] == "completed"


def test_load_run_encode_numpy_array(trained_run):
    run = vaelab.load_run(trained_run.path, device="cpu")
    x = run.data.test.x[:5].numpy().astype(np.float64)
    q = run.encode(x)
    assert isinstance(q, DiagonalGaussian)
    assert q.mean.shape == (5, 2) and q.logvar.shape == (5, 2)
    # Same weights as the run the trainer returned, and the same answer as calling the model directly.
    expected = trained_run.model.encode(torch.as_tensor(x, dtype=torch.float32).to(trained_run.device)).mean
    assert torch.allclose(q.mean.cpu(), expected.detach().cpu(), atol=1e-6)
    assert not torch.allclose(q.mean[0], q.mean[1])


def test_load_run_decode(trained_run):
    run = vaelab.load_run(trained_run.path, device="cpu")
    p = run.decode(np.zeros((3, 2)))
    assert isinstance(p, Bernoulli)
    assert p.mean.shape == (3, 64)
    assert float(p.mean.min()) >= 0 and float(p.mean.max()) <= 1
    assert run.decode(torch.zeros(4, 3, 2)).mean.shape == (4, 3, 64)


def test_load_run_sample_is_reproducible_with_seed(trained_run):
    run = vaelab.load_run(trained_run.path, device="cpu")
    a, b, c = run.sample(5, seed=0), run.sample(5, seed=0), run.sample(5, seed=1)
    assert a.shape == (5, 64)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_load_run_last_checkpoint(trained_run):
    best = vaelab.load_run(trained_run.path, device="cpu")
    last = vaelab.load_run(trained_run.path, checkpoint="last", device="cpu")
    assert last.checkpoint == best.checkpoint == "epoch_0001"  # one epoch: best is last
    for (k, a), (_, b) in zip(best.model.state_dict().items(), last.model.state_dict().items()):
        assert torch.equal(a, b), k


def test_load_run_rejects_unknown_checkpoint_name(trained_run):
    with pytest.raises(CheckpointError, match="'best' or 'last'"):
        vaelab.load_run(trained_run.path, checkpoint="first")


def test_load_run_without_config_is_a_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError, match="no config.yaml"):
        vaelab.load_run(tmp_path)
    with pytest.raises(CheckpointError):
        vaelab.load_run(tmp_path / "does-not-exist")


def test_load_run_without_checkpoints_is_a_checkpoint_error(trained_run, tmp_path):
    shutil.copy(trained_run.path / "config.yaml", tmp_path / "config.yaml")
    with pytest.raises(CheckpointError, match="no checkpoint"):
        vaelab.load_run(tmp_path)


def test_load_run_detects_config_edited_after_training(trained_run, tmp_path):
    copy = tmp_path / "edited"
    shutil.copytree(trained_run.path, copy)
    cfg = yaml.safe_load((copy / "config.yaml").read_text())
    cfg["model"]["latent_dim"] = 3
    (copy / "config.yaml").write_text(yaml.safe_dump(cfg))
    with pytest.raises(CheckpointError, match="config.yaml"):
        vaelab.load_run(copy)
    vaelab.load_run(trained_run.path)  # the original is untouched and still loads


def test_vae_rejects_a_deterministic_posterior():
    with pytest.raises(ConfigError, match="model.posterior"):
        build_model(ModelConfig(posterior="deterministic"), (12,), "binary")


def test_conv_architecture_on_flat_data_is_a_config_error():
    with pytest.raises(ConfigError, match="conv needs image data"):
        build_model(ModelConfig(architecture="conv"), (64,), "binary")


def test_editing_the_likelihood_after_training_is_detected(tmp_path):
    import vaelab
    from vaelab.errors import CheckpointError

    run = vaelab.train({"data": {"name": "synthetic", "options": {"n": 200}}, "model": {"latent_dim": 2, "hidden": [8]},
                        "train": {"epochs": 1, "progress": False}}, out=tmp_path / "r")
    cfg = (run.path / "config.yaml").read_text().replace("likelihood: auto", "likelihood: gaussian-fixed")
    (run.path / "config.yaml").write_text(cfg)
    with pytest.raises(CheckpointError, match="edited"):
        vaelab.load_run(run.path)
