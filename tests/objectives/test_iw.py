import math

import torch

from vaelab.config import ModelConfig
from vaelab.models import build_model
from vaelab.objectives import iw_bound
from vaelab.objectives.elbo import elbo_terms


def _model(seed=0):
    torch.manual_seed(seed)
    m = build_model(ModelConfig(latent_dim=3, hidden=[16]), (12,), "binary")
    return m.eval()


def _data(n=64, seed=1):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, 12, generator=g) < 0.4).float()


def test_iw_bound_with_one_sample_equals_elbo_in_expectation():
    model, x = _model(), _data()
    torch.manual_seed(0)
    l1 = torch.stack([iw_bound(model, x, 1) for _ in range(400)]).mean(0)  # (B,)
    with torch.no_grad():
        elbo = torch.stack([-elbo_terms(model, x, 1.0).neg_elbo for _ in range(400)]).mean(0)
    # same expectation; MC noise over 400 draws is well below 0.15 nats
    assert torch.allclose(l1.mean(), elbo.mean(), atol=0.15), (l1.mean(), elbo.mean())


def test_iw_bound_tightens_with_k():
    model, x = _model(), _data()
    torch.manual_seed(0)
    bounds = [float(torch.stack([iw_bound(model, x, k) for _ in range(20)]).mean()) for k in (1, 5, 50, 500)]
    assert bounds[0] < bounds[1] < bounds[2] < bounds[3], bounds


def test_iw_bound_converges_to_exact_log_likelihood_on_tiny_model():
    # With a 1-d latent, log p(x) is computable by quadrature: the K=5000 bound must approach it from below.
    torch.manual_seed(0)
    model = build_model(ModelConfig(latent_dim=1, hidden=[8]), (5,), "binary").eval()
    x = (torch.rand(8, 5) < 0.5).float()
    grid = torch.linspace(-8, 8, 4001)[:, None]  # (G, 1)
    with torch.no_grad():
        logpxz = model.decode(grid[:, None, :].expand(-1, 8, -1)).log_prob(x)  # (G, B)
        logpz = model.prior.log_prob(grid)  # (G,)
        dz = float(grid[1, 0] - grid[0, 0])
        exact = torch.logsumexp(logpxz + logpz[:, None], 0) + math.log(dz)  # (B,)
        bound = iw_bound(model, x, 5000, chunk=700)
    assert (bound <= exact + 0.02).all()
    assert torch.allclose(bound, exact, atol=0.05), (bound, exact)


def test_chunking_does_not_change_the_bound_beyond_noise():
    model, x = _model(), _data(16)
    torch.manual_seed(3)
    whole = torch.stack([iw_bound(model, x, 200).mean() for _ in range(30)])
    chunked = torch.stack([iw_bound(model, x, 200, chunk=37).mean() for _ in range(30)])
    se = ((whole.var() + chunked.var()) / 30).sqrt()
    assert abs(float(whole.mean() - chunked.mean())) < 4 * float(se) + 1e-3


# -- the fast path (Gaussian posterior, standard normal prior, Bernoulli head after an MLP) -------

import pytest  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import vaelab.objectives.iw as iw_module  # noqa: E402
from vaelab.objectives.iw import FastPlan, _product_lanes, _softplus_sum_lanes, _tanh_exp  # noqa: E402


def _mlp_model(activation="tanh", event=(120,), seed=0, **cfg):
    torch.manual_seed(seed)
    m = build_model(ModelConfig(latent_dim=4, hidden=[24, 16], activation=activation, **cfg), event, "binary")
    return m.eval()


def _bound(model, x, fast, compile=False, k=50, chunk=7, seed=5, **side):
    torch.manual_seed(seed)
    return iw_bound(model, x, k, chunk=chunk, fast=fast, compile=compile, **side)


@pytest.mark.parametrize("onednn", [True, False], ids=["onednn-if-available", "torch.mm"])
@pytest.mark.parametrize("activation", ["tanh", "softplus", "relu"])
def test_fast_path_equals_generic_path_with_the_same_seed(activation, onednn, monkeypatch):
    # same draws (the same randn calls), so the bounds agree to float rounding, not just in expectation
    monkeypatch.setattr(iw_module, "USE_ONEDNN", onednn)
    model = _mlp_model(activation)
    x = (torch.rand(9, 120, generator=torch.Generator().manual_seed(2)) < 0.3).float()
    assert FastPlan.why_not(model, model.encode(x)) is None
    generic = _bound(model, x, fast=False)
    fast = _bound(model, x, fast=True)
    assert torch.allclose(fast, generic, rtol=1e-5, atol=1e-4), (fast - generic).abs().max()


def test_fast_path_in_float64_is_exact_to_double_rounding():
    model = _mlp_model().double()
    x = (torch.rand(5, 120, generator=torch.Generator().manual_seed(6)) < 0.3).double()
    fast, generic = _bound(model, x, fast=True), _bound(model, x, fast=False)
    assert fast.dtype == torch.float64
    assert torch.allclose(fast, generic, rtol=0, atol=1e-9), (fast - generic).abs().max()


def test_fast_path_handles_non_binary_targets():
    model = _mlp_model()
    x = torch.rand(6, 120, generator=torch.Generator().manual_seed(3))  # probabilities, not 0/1
    assert torch.allclose(_bound(model, x, fast=True), _bound(model, x, fast=False), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("onednn", [True, False], ids=["onednn-if-available", "torch.mm"])
@pytest.mark.parametrize("activation", ["tanh", "softplus"])
def test_compiled_fast_path_equals_generic_path(activation, onednn, monkeypatch):
    # image-shaped data (D = 160 = 10 x 16 lanes in the fused softplus sum); chunk 7 leaves a
    # remainder chunk of 1, which runs eagerly
    monkeypatch.setattr(iw_module, "USE_ONEDNN", onednn)
    model = _mlp_model(activation, event=(1, 10, 16))
    x = (torch.rand(8, 1, 10, 16, generator=torch.Generator().manual_seed(4)) < 0.3).float()
    generic = _bound(model, x, fast=False)
    compiled = _bound(model, x, fast=True, compile=True)
    assert torch.allclose(compiled, generic, rtol=1e-5, atol=1e-4), (compiled - generic).abs().max()


def test_a_failing_compile_falls_back_to_eager_with_a_warning(monkeypatch):
    def broken(name):
        raise RuntimeError("no C++ compiler")

    monkeypatch.setattr(iw_module, "_compiled", broken)
    monkeypatch.setitem(iw_module._COMPILED, "failed", False)
    model = _mlp_model()
    x = (torch.rand(4, 120, generator=torch.Generator().manual_seed(7)) < 0.3).float()
    with pytest.warns(UserWarning, match="torch.compile of the IW bound failed"):
        bound = _bound(model, x, fast=True, compile=True)
    assert iw_module._COMPILED["failed"]
    assert torch.allclose(bound, _bound(model, x, fast=False), rtol=1e-5, atol=1e-4)


def test_onednn_products_are_used_where_they_can_fuse_the_activation():
    x = torch.zeros(3, 120)
    tanh, softplus = _mlp_model("tanh"), _mlp_model("softplus")
    if not iw_module._onednn_usable(torch.device("cpu"), torch.float32):
        pytest.skip("no oneDNN on this machine")
    assert FastPlan.build(tanh, tanh.encode(x), x, rows=30).onednn is not None
    assert FastPlan.build(softplus, softplus.encode(x), x, rows=30).onednn is None  # no fused softplus: torch.mm
    double = _mlp_model("tanh").double()
    assert FastPlan.build(double, double.encode(x.double()), x.double(), rows=30).onednn is None


def test_fused_formulas_match_torch_at_the_extremes():
    a = torch.tensor([-200.0, -90.0, -20.0, -1.0, -1e-3, 0.0, 1e-3, 1.0, 20.0, 90.0, 200.0])
    assert torch.allclose(_tanh_exp(a), torch.tanh(a), atol=2e-7)
    assert _product_lanes(784) == 16 and _product_lanes(120) == 0 and _product_lanes(1920) == 16
    assert _product_lanes(4096) == 64  # 4096 / 16 = 256 factors per lane would be too many
    y = torch.cat([a, torch.linspace(-30, 30, 149), torch.tensor([1e4, -1e4, 0.5, -0.5])]).reshape(1, 164)
    y = torch.cat([y, y.flip(-1)], -1)[:, :160]  # (1, 160): 10 factors per lane
    grouped = _softplus_sum_lanes(y.double(), 16)
    assert torch.isfinite(grouped).all()
    assert torch.allclose(grouped, F.softplus(y.double()).sum(-1), rtol=1e-12)
    assert torch.allclose(_softplus_sum_lanes(y, 16), F.softplus(y).sum(-1), rtol=1e-6)
    worst = torch.zeros(3, 16 * 120)  # every factor is 2: a lane's product, 2^120, must stay finite in float32
    assert torch.allclose(_softplus_sum_lanes(worst, 16), F.softplus(worst).sum(-1))


@pytest.mark.parametrize("change", [
    {"likelihood": "gaussian"},
    {"batch_norm": True},
    {"posterior": "bounded-gaussian"},
])
def test_other_variants_take_the_generic_path_or_agree(change):
    torch.manual_seed(0)
    kind = "unit" if change.get("likelihood") == "gaussian" else "binary"
    model = build_model(ModelConfig(latent_dim=3, hidden=[16], **change), (12,), kind).eval()
    x = (torch.rand(5, 12) < 0.4).float()
    reason = FastPlan.why_not(model, model.encode(x))
    if reason is None:  # a bounded posterior is still a diagonal Gaussian: the fast path applies
        assert torch.allclose(_bound(model, x, fast=True), _bound(model, x, fast=False), rtol=1e-5, atol=1e-4)
    else:
        with pytest.raises(ValueError, match="no fast path"):
            iw_bound(model, x, 4, fast=True)
        assert torch.equal(_bound(model, x, fast=None), _bound(model, x, fast=False))


def test_conditional_model_takes_the_generic_path():
    torch.manual_seed(0)
    model = build_model(ModelConfig(name="cvae", latent_dim=3, hidden=[16]), (12,), "binary", n_classes=3).eval()
    x, y = (torch.rand(6, 12) < 0.4).float(), torch.tensor([0, 1, 2, 0, 1, 2])
    assert "decoder input" in FastPlan.why_not(model, model.encode(x, y=y))
    bound = _bound(model, x, fast=None, y=y)
    assert bound.shape == (6,) and torch.isfinite(bound).all()
    assert torch.equal(bound, _bound(model, x, fast=False, y=y))
