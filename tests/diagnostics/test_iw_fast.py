"""The fast CPU kernel of the IW bound: the same bound as the generic path, with the same draws."""

import pytest
import torch
import torch.nn.functional as F

from vaelab.config import ModelConfig
from vaelab.diagnostics.iw_fast import (DEFAULT_KERNEL, FastPlan, IWKernel, _product_lanes, _softplus_sum_lanes,
                                        _tanh_exp, onednn_available)
from vaelab.models import build_model
from vaelab.objectives import iw_bound

def _mlp_model(activation="tanh", event=(120,), seed=0, **cfg):
    torch.manual_seed(seed)
    m = build_model(ModelConfig(latent_dim=4, hidden=[24, 16], activation=activation, **cfg), event, "binary")
    return m.eval()


def _bound(model, x, fast, compile=False, k=50, chunk=7, seed=5, onednn=True, kernel=None, **side):
    torch.manual_seed(seed)
    kernel = IWKernel(fast=fast, compile=compile, onednn=onednn) if kernel is None else kernel
    return iw_bound(model, x, k, chunk=chunk, kernel=kernel, **side)


@pytest.mark.parametrize("onednn", [True, False], ids=["onednn-if-available", "torch.mm"])
@pytest.mark.parametrize("activation", ["tanh", "softplus", "relu"])
def test_fast_path_equals_generic_path_with_the_same_seed(activation, onednn):
    # same draws (the same randn calls), so the bounds agree to float rounding, not just in expectation
    model = _mlp_model(activation)
    x = (torch.rand(9, 120, generator=torch.Generator().manual_seed(2)) < 0.3).float()
    assert FastPlan.why_not(model, model.encode(x)) is None
    generic = _bound(model, x, fast=False)
    fast = _bound(model, x, fast=True, onednn=onednn)
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
def test_compiled_fast_path_equals_generic_path(activation, onednn):
    # image-shaped data (D = 160 = 10 x 16 lanes in the fused softplus sum); chunk 7 leaves a
    # remainder chunk of 1, which runs eagerly
    model = _mlp_model(activation, event=(1, 10, 16))
    x = (torch.rand(8, 1, 10, 16, generator=torch.Generator().manual_seed(4)) < 0.3).float()
    generic = _bound(model, x, fast=False)
    compiled = _bound(model, x, fast=True, compile=True, onednn=onednn)
    assert torch.allclose(compiled, generic, rtol=1e-5, atol=1e-4), (compiled - generic).abs().max()


def test_a_failing_compile_falls_back_to_eager_with_a_warning():
    def broken(*args):
        raise RuntimeError("no C++ compiler")

    kernel = IWKernel(fast=True, compile=True)
    kernel.compiled_fns.update(mm=broken, tail=broken)  # what a failing torch.compile would hand back
    model = _mlp_model()
    x = (torch.rand(4, 120, generator=torch.Generator().manual_seed(7)) < 0.3).float()
    with pytest.warns(UserWarning, match="torch.compile of the IW bound failed"):
        bound = _bound(model, x, fast=True, kernel=kernel)
    assert "compile" in kernel.broken and "compile" not in DEFAULT_KERNEL.broken
    assert torch.allclose(bound, _bound(model, x, fast=False), rtol=1e-5, atol=1e-4)


def test_onednn_products_are_used_where_they_can_fuse_the_activation():
    x = torch.zeros(3, 120)
    tanh, softplus = _mlp_model("tanh"), _mlp_model("softplus")
    if not onednn_available(torch.device("cpu"), torch.float32):
        pytest.skip("no oneDNN on this machine")
    kernel = IWKernel()
    assert kernel.plan(tanh, tanh.encode(x), x, 10, 10).onednn is not None
    assert kernel.plan(softplus, softplus.encode(x), x, 10, 10).onednn is None  # no fused softplus: torch.mm
    assert IWKernel(onednn=False).plan(tanh, tanh.encode(x), x, 10, 10).onednn is None
    double = _mlp_model("tanh").double()
    assert kernel.plan(double, double.encode(x.double()), x.double(), 10, 10).onednn is None


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
            iw_bound(model, x, 4, kernel=IWKernel(fast=True))
        assert torch.equal(_bound(model, x, fast=None), _bound(model, x, fast=False))


def test_conditional_model_takes_the_generic_path():
    torch.manual_seed(0)
    model = build_model(ModelConfig(name="cvae", latent_dim=3, hidden=[16]), (12,), "binary", n_classes=3).eval()
    x, y = (torch.rand(6, 12) < 0.4).float(), torch.tensor([0, 1, 2, 0, 1, 2])
    assert "decoder input" in FastPlan.why_not(model, model.encode(x, y=y))
    bound = _bound(model, x, fast=None, y=y)
    assert bound.shape == (6,) and torch.isfinite(bound).all()
    assert torch.equal(bound, _bound(model, x, fast=False, y=y))
