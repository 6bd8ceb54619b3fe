"""The deterministic and constant-variance variants of the RAE paper: losses, spectral norm, samplers' hints."""

import math
from types import SimpleNamespace

import pytest
import torch
from torch import nn

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
    # the authors' MNIST configurations (configurations/config.py): embedding_weight and gen_reg_weight
    for name, reg, beta, lam in [("rae", "none", 5e-4, 0.0), ("rae-l2", "l2", 1e-4, 1e-7),
                                 ("rae-gp", "gp", 1e-4, 5e-8), ("rae-sn", "sn", 9e-3, 0.0), ("ae", "none", 0.0, 0.0)]:
        m = _model(name)
        assert m.options.reg == reg and m.lam == lam and m.code_weight == beta
        assert m.options.scaling == "authors" and m.gp_form == "authors"
        assert not m.has_prior and m.n_sampler == "gaussian"
    assert _model("rae-gp", scaling="vaelab").gp_form == "sum" and _model("rae-gp", gp_form="sum").gp_form == "sum"
    assert not _model("rae").has_elbo and not _model("wae-mmd").has_elbo and _model("cv-vae").has_elbo
    assert make_config({"model": {"name": "rae-l2"}}).model.posterior == "deterministic"


def test_rae_l2_loss_is_rec_plus_code_weight_code_norm_plus_lambda_weight_norm():
    m, x = _model("rae-l2", lam=1e-3, code_weight=0.5, scaling="vaelab"), _x()
    out = m(x, 1.0)
    z = m.encode(x).mean
    p = m.decode(z)
    rec = -p.log_prob(x)
    l2 = weight_l2(m.decoder) + weight_l2(m.likelihood_head)
    expected = rec.mean() + 0.5 * (0.5 * z.square().sum(-1)).mean() + 1e-3 * l2
    assert torch.allclose(out.loss, expected) and torch.equal(out.kl, torch.zeros(32))
    assert torch.allclose(out.rec, rec) and torch.allclose(out.extras["weight_l2"], l2.expand(32))


#: a hand-made linear "decoder" D(z) = z W^T (D = 3 pixels, d = 3 latent dimensions), its codes and data
_W = torch.tensor([[1.0, 2.0, 0.0], [0.0, 1.0, 0.0], [3.0, 0.0, 1.0]])
_Z = torch.tensor([[1.0, 1.0, 0.0], [0.0, 0.0, 2.0]])  # D(z) = (3, 1, 3) and (0, 0, 2)
_X = torch.tensor([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])  # squared errors (4, 0, 4) and (0, 0, 4)


def _hand_model(reg, scaling):
    """An RAE (rec = se, beta 0.1, lam 0.01) whose code is _Z and decoder D(z) = z W^T, weights ||W||^2 = 16."""
    m = _model(reg, event=(3,), kind="real", rec="se", code_weight=0.1, lam=0.01, scaling=scaling)
    m.code = lambda x, **side: _Z
    m.decode = lambda z, **side: SimpleNamespace(mean=z @ _W.T)
    m.decoder, m.likelihood_head = nn.Linear(3, 3), nn.Identity()  # what weight_l2 reads: W
    with torch.no_grad():
        m.decoder.weight.copy_(_W)
    return m


@pytest.mark.parametrize("reg, scaling, loss", [
    # vaelab: L_REC = sum of squared errors (8, 4) -> 6; L_Z = 1/2 ||z||^2 (1, 2) -> 1.5
    ("rae-l2", "vaelab", 6 + 0.1 * 1.5 + 0.01 * 16),  # ||W||^2 = 1+4+1+9+1 = 16
    ("rae-gp", "vaelab", 6 + 0.1 * 1.5 + 0.01 * 26),  # sum form: ||W^T 1||^2 = ||(4, 3, 1)||^2 = 26 at every z
    # authors: L_REC = mean squared error (8/3, 4/3) -> 2; L_Z = mean z_k^2 (2/3, 4/3) -> 1
    ("rae-l2", "authors", 2 + 0.1 * 1 + 0.01 * 16),
    # their form: mean_k (W^T 2D(z))_k^2 = mean(24^2, 14^2, 6^2) = 808/3 and mean(12^2, 0, 4^2) = 160/3 -> 484/3
    ("rae-gp", "authors", 2 + 0.1 * 1 + 0.01 * 484 / 3),
])
def test_rae_loss_by_hand_under_both_scalings(reg, scaling, loss):
    out = _hand_model(reg, scaling)(_X, 1.0)
    assert out.loss.item() == pytest.approx(loss, rel=1e-6)
    assert out.rec.tolist() == [8.0, 4.0]  # the reported reconstruction is summed under both
    code = [1.0, 2.0] if scaling == "vaelab" else [2 / 3, 4 / 3]
    assert out.extras["code_l2"].tolist() == pytest.approx(code)
    if scaling == "authors":
        assert out.extras["rec_mean"].tolist() == pytest.approx([8 / 3, 4 / 3])
    if reg == "rae-gp":
        gp = [26.0, 26.0] if scaling == "vaelab" else [808 / 3, 160 / 3]
        assert out.extras["gp"].tolist() == pytest.approx(gp)
    else:
        assert out.extras["weight_l2"].tolist() == [16.0, 16.0]


def test_authors_scaling_trains_the_per_pixel_squared_error_and_reports_the_nll():
    m, x = _model("ae"), _x()  # binary data: rec = auto is the Bernoulli NLL
    out = m(x, 1.0)
    p = m.decode(m.encode(x).mean)
    mse = (x - p.mean).square().mean(-1)  # (B,), the authors' Keras mse
    assert torch.allclose(out.extras["rec_mean"], mse) and torch.allclose(out.loss, mse.mean())
    assert torch.allclose(out.rec, -p.log_prob(x))  # nats, comparable with the other models
    bce = _model("ae", rec="nll")(x, 1.0)  # their binary_crossentropy: the NLL per pixel
    assert torch.allclose(bce.loss, (-p.log_prob(x) / 12).mean())


def test_at_the_authors_scaling_the_rae_presets_lose_differently_on_one_batch():
    x = (torch.rand(32, 64, generator=torch.Generator().manual_seed(1)) < 0.4).float()
    losses, shares = {}, {}
    for scaling in ("vaelab", "authors"):
        for name in ("rae", "rae-l2", "rae-gp"):
            m = _model(name, event=(64,), scaling=scaling)  # the same initial weights
            out = m(x, 1.0)
            trained = out.extras.get("rec_mean", out.rec).mean()
            losses[scaling, name], shares[scaling, name] = out.loss.item(), (out.loss / trained - 1).item()
    assert len({losses["authors", name] for name in ("rae", "rae-l2", "rae-gp")}) == 3
    assert shares["authors", "rae"] > 100 * shares["vaelab", "rae"]  # the penalties weigh 100x more


def test_ae_loss_is_the_reconstruction_only_and_se_is_the_squared_error():
    m, x = _model("ae", scaling="vaelab"), _x()
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
                                           ({"gp_form": "x"}, "gp_form"), ({"scaling": "mean"}, "scaling")])
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


def test_an_old_run_without_the_scaling_option_loads_and_resumes_with_the_summed_scaling(tmp_path):
    from vaelab.api import _train_config

    cfg = tiny_config(epochs=1)
    cfg["model"].update(name="rae-gp", options={"scaling": "vaelab", "code_weight": 1e-4, "gp_form": "sum"})
    run = vaelab.train(cfg, out=tmp_path / "r")
    x = run.data.test.x[:64].float()
    with torch.no_grad():
        expected = run.model(x, 1.0)
    config = run.path / "config.yaml"
    text = config.read_text()
    assert "scaling: vaelab" in text
    config.write_text("".join(line for line in text.splitlines(True) if "scaling:" not in line))  # as saved before
    loaded = vaelab.load_run(run.path)
    assert loaded.model.options.scaling == "vaelab" and loaded.model.gp_form == "sum"
    with torch.no_grad():
        out = loaded.model(x, 1.0)
    assert torch.equal(out.loss, expected.loss) and torch.equal(out.rec, expected.rec)
    assert _train_config(None, run.path, True, (), {"epochs": 2}).model.options["scaling"] == "vaelab"
    assert make_config({"model": {"name": "rae-gp"}}).model.options["scaling"] == "authors"  # a new run


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
