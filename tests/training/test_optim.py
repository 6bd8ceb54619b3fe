import copy

import torch

from vaelab.config import OptimConfig
from vaelab.training.optim import LeanFusedAdam, make_adam


def _model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3))


def _train(opt_factory, steps=25):
    model = _model()
    opt = opt_factory(model.parameters())
    g = torch.Generator().manual_seed(1)
    for i in range(steps):
        x = torch.randn(8, 5, generator=g)
        loss = (model(x) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if i == 10:
            for group in opt.param_groups:
                group["lr"] = 0.003  # a schedule changing lr mid-run must be honoured
        opt.step()
    return model, opt


def test_lean_fused_adam_matches_stock_adam_bit_for_bit():
    kw = dict(lr=0.01, betas=(0.9, 0.99), eps=1e-6, weight_decay=0.01)
    lean, _ = _train(lambda p: LeanFusedAdam(p, **kw))
    stock, _ = _train(lambda p: torch.optim.Adam(p, fused=True, **kw))
    for a, b in zip(lean.parameters(), stock.parameters()):
        assert torch.equal(a, b)
    ref, _ = _train(lambda p: torch.optim.Adam(p, **kw))  # the plain for-loop implementation
    for a, b in zip(lean.parameters(), ref.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_lean_fused_adam_state_dict_roundtrip_continues_identically():
    kw = dict(lr=0.01)
    model, opt = _train(lambda p: LeanFusedAdam(p, **kw), steps=5)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    opt_state = copy.deepcopy(opt.state_dict())  # state_dict() shares tensors with the live optimizer
    model2 = _model()
    model2.load_state_dict(state)
    opt2 = LeanFusedAdam(model2.parameters(), **kw)
    opt2.load_state_dict(opt_state)
    for m, o in ((model, opt), (model2, opt2)):
        x = torch.ones(4, 5)
        o.zero_grad()
        (m(x) ** 2).mean().backward()
        o.step()
    for a, b in zip(model.parameters(), model2.parameters()):
        assert torch.equal(a, b)


def test_make_adam_respects_fused_off():
    opt = make_adam(_model().parameters(), OptimConfig(fused="off"), torch.device("cpu"))
    assert not isinstance(opt, LeanFusedAdam)
    assert isinstance(make_adam(_model().parameters(), OptimConfig(), torch.device("cpu")), LeanFusedAdam)


def test_lean_step_counter_is_visible_in_state_dict():
    _, opt = _train(lambda p: LeanFusedAdam(p, lr=0.01), steps=7)
    steps = [float(s["step"]) for s in opt.state_dict()["state"].values()]
    assert steps == [7.0] * 4
