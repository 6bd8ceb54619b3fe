"""The deterministic and constant-variance variants of the RAE paper: losses, spectral norm, samplers' hints."""

import math

import pytest
import torch

import vaelab
from vaelab.config import make_config
from vaelab.models import build_model
from vaelab.objectives.regularizers import weight_l2
from tests.helpers import tiny_config


def _model(name, event=(12,), kind="binary", **options):
    cfg = make_config({"model": {"name": name, "latent_dim": 3, "hidden": [16], "options": options}})
    torch.manual_seed(0)
    return build_model(cfg.model, event, kind)


def _x(n=32):
    return (torch.rand(n, 12, generator=torch.Generator().manual_seed(1)) < 0.4).float()


def test_presets_pick_the_regulariser_and_the_authors_defaults():
    for name, reg, lam in [("rae", "none", 0.0), ("rae-l2", "l2", 1e-7), ("rae-gp", "gp", 5e-8), ("rae-sn", "sn", 0.0)]:
        m = _model(name)
        assert m.options.reg == reg and m.lam == lam and m.options.code_weight == 1e-4
        assert not m.has_prior and m.n_sampler == "gaussian"
    assert _model("ae").options.code_weight == 0.0
    assert not _model("rae").has_elbo and not _model("wae-mmd").has_elbo and _model("cv-vae").has_elbo
    assert make_config({"model": {"name": "rae-l2"}}).model.posterior == "deterministic"


def test_rae_l2_loss_is_rec_plus_code_weight_code_norm_plus_lambda_weight_norm():
    m, x = _model("rae-l2", lam=1e-3, code_weight=0.5), _x()
    out = m(x, 1.0)
    z = m.encode(x).mean
    p = m.decode(z)
    rec = -p.log_prob(x)
    l2 = weight_l2(m.decoder) + weight_l2(m.likelihood_head)
    expected = rec.mean() + 0.5 * (0.5 * z.square().sum(-1)).mean() + 1e-3 * l2
    assert torch.allclose(out.loss, expected) and torch.equal(out.kl, torch.zeros(32))
    assert torch.allclose(out.rec, rec) and torch.allclose(out.extras["weight_l2"], l2.expand(32))


def test_ae_loss_is_the_reconstruction_only_and_se_is_the_squared_error():
    m, x = _model("ae"), _x()
    out = m(x, 1.0)
    assert torch.allclose(out.loss, out.rec.mean())
    g = _model("ae", kind="real", rec="se")
    xr = torch.randn(5, 12)
    mean = g.decode(g.encode(xr).mean).mean
    assert torch.allclose(g(xr, 1.0).rec, (xr - mean).square().sum(-1))


def test_spectral_norm_bounds_every_decoder_layer_at_one():
    m = _model("rae-sn")
    layers = [mod for mod in list(m.decoder.modules()) + list(m.likelihood_head.modules())
              if isinstance(mod, torch.nn.Linear)]
    assert len(layers) == 2 and all(hasattr(mod, "parametrizations") for mod in layers)
    assert not any(hasattr(mod, "parametrizations") for mod in m.encoder.modules())
    with torch.no_grad():
        for mod in layers:  # make the raw weights large: the normalised ones must not care
            mod.parametrizations.weight.original.mul_(25.0)
    m.train()
    for _ in range(30):  # power iterations run in training forwards
        m.decode(torch.randn(4, 3))
    m.eval()
    for mod in layers:
        assert float(torch.linalg.matrix_norm(mod.weight.detach(), ord=2)) == pytest.approx(1.0, abs=0.02)


def test_rae_sn_trains_saves_and_loads_with_its_parametrisation(tmp_path):
    cfg = tiny_config(epochs=1)
    cfg["model"]["name"] = "rae-sn"
    run = vaelab.train(cfg, out=tmp_path / "r")
    loaded = vaelab.load_run(run.path)
    head = loaded.model.likelihood_head.linear
    assert float(torch.linalg.matrix_norm(head.weight.detach(), ord=2)) == pytest.approx(1.0, abs=0.05)


def test_wae_penalty_is_lambda_times_the_batch_mmd():
    m, x = _model("wae-mmd", lam=3.0), _x(64)
    torch.manual_seed(0)
    out = m(x, 1.0)
    assert torch.allclose(out.loss, out.rec.mean() + 3.0 * out.extras["mmd"][0])
    assert m.has_prior and m.n_sampler == "prior"
    assert torch.allclose(m.kernel_scales("cpu"), torch.tensor([0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0]) * 6.0)


def test_cv_vae_has_a_fixed_posterior_variance_and_a_kl_of_half_the_squared_mean():
    cfg = make_config({"model": {"name": "cv-vae", "latent_dim": 3, "hidden": [16], "posterior_std": 0.2}})
    m = build_model(cfg.model, (12,), "binary")
    q = m.encode(_x())
    assert torch.allclose(q.stddev, torch.full_like(q.loc, 0.2))
    kl = m(_x(), 1.0).kl
    const = 3 * 0.5 * (0.04 - 1.0 - math.log(0.04))
    assert torch.allclose(kl, 0.5 * q.loc.square().sum(-1) + const, atol=1e-5)
    assert m.n_sampler == "gaussian"


@pytest.mark.parametrize("options, word", [({"reg": "tv"}, "reg"), ({"rec": "l1"}, "rec"),
                                           ({"code_weight": -1}, "code_weight"), ({"lam": -1}, "lam"),
                                           ({"gp_form": "x"}, "gp_form")])
def test_bad_rae_options_name_the_option(options, word):
    from vaelab.errors import ConfigError

    with pytest.raises(ConfigError, match=word):
        _model("rae", **options)


def test_deterministic_runs_report_loss_not_an_elbo(tmp_path):
    cfg = tiny_config(epochs=1)
    cfg["model"]["name"] = "rae-l2"
    run = vaelab.train(cfg, out=tmp_path / "r")
    d = vaelab.evaluate(run, iw_samples=10, fd=False)
    assert "neg_elbo" not in d and "iw_nll" not in d and "loss" in d and "rec" in d
    assert {"neg_elbo", "kl", "iw_nll", "mi"} <= set(d["skipped"])


@pytest.mark.parametrize("name", ["rae", "wae-mmd"])
def test_deterministic_objectives_ignore_the_kl_weight(name):
    m, x = _model(name), _x()
    losses = []
    for beta in (0.0, 1.0, 7.0):
        torch.manual_seed(0)  # the same prior draws for the WAE's MMD
        losses.append(m(x, beta).loss)
    assert torch.equal(losses[0], losses[1]) and torch.equal(losses[0], losses[2])


def test_an_old_run_that_says_beta_loads_with_that_code_weight_and_evaluates_the_same(tmp_path):
    cfg = tiny_config(epochs=1)
    cfg["model"].update(name="rae", options={"code_weight": 0.5})
    run = vaelab.train(cfg, out=tmp_path / "r")
    x = run.data.test.x[:64].float()
    with torch.no_grad():
        expected = run.model(x, 1.0)
    config = run.path / "config.yaml"
    text = config.read_text()
    assert "code_weight: 0.5" in text
    for old, same in [("beta: 0.5", True), ("beta: 0.0", False)]:  # written before the rename
        config.write_text(text.replace("code_weight: 0.5", old))
        loaded = vaelab.load_run(run.path)
        with torch.no_grad():
            out = loaded.model(x, 1.0)
        assert torch.equal(out.rec, expected.rec)
        assert torch.equal(out.loss, expected.loss) == same
        assert loaded.model.options.code_weight == float(old.split(": ")[1])
