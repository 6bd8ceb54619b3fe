import copy

import pytest
import torch

from vaelab.config import ModelConfig
from vaelab.models import build_model
from vaelab.training.step import TrainStep


def _pair(batch_norm):
    torch.manual_seed(0)
    model = build_model(ModelConfig(latent_dim=3, hidden=[16, 16], batch_norm=batch_norm), (12,), "binary")
    return model, copy.deepcopy(model)


@pytest.mark.parametrize("batch_norm", [False, True])
def test_functional_step_matches_autograd_step(batch_norm):
    a, b = _pair(batch_norm)
    x = (torch.rand(40, 12, generator=torch.Generator().manual_seed(1)) < 0.4).float()
    steps = []
    for model, functional in ((a, True), (b, False)):
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        step = TrainStep(model.train(), opt, grad_clip=1.0, functional=functional)
        torch.manual_seed(7)
        figures = [step(x, torch.tensor(0.5)) for _ in range(5)]
        steps.append((step, torch.stack(figures)))
    assert torch.allclose(steps[0][1], steps[1][1], atol=1e-4)
    for (na, pa), (nb, pb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.allclose(pa.float(), pb.float(), atol=1e-5), na
    if batch_norm:  # running statistics were updated through the functional path too
        assert int(a.encoder.layers[1].num_batches_tracked) == 5


def test_first_step_falls_back_to_autograd_with_a_warning(monkeypatch):
    model, _ = _pair(False)
    step = TrainStep(model.train(), torch.optim.Adam(model.parameters()), grad_clip=None, functional=True)

    def broken(*args):
        raise RuntimeError("cannot transform this forward")

    step._grad_fn = broken
    x = (torch.rand(8, 12) < 0.5).float()
    before = model.encoder.layers[0].weight.clone()
    with pytest.warns(UserWarning, match="falling back to eager autograd"):
        figures = step.first(x, torch.tensor(1.0))
    assert not step.functional and figures.shape == (3,)
    assert not torch.equal(before, model.encoder.layers[0].weight)


def test_term_names_leave_the_rng_untouched():
    model, _ = _pair(False)
    step = TrainStep(model, torch.optim.Adam(model.parameters()), grad_clip=None)
    torch.manual_seed(3)
    expected = torch.rand(3)
    torch.manual_seed(3)
    assert step.term_names(torch.zeros(2, 12)) == ["loss", "rec", "kl"]
    assert torch.equal(torch.rand(3), expected)


def test_eager_steps_use_autograd_and_compiled_steps_the_functional_path():
    model, _ = _pair(False)
    assert not TrainStep(model, torch.optim.Adam(model.parameters()), None).functional
    assert TrainStep(model, torch.optim.Adam(model.parameters()), None, compile=True).functional


def test_a_warm_compiled_step_survives_a_new_thread_count():
    # dynamo recompiles when the thread count changes; the thread policy may change it between epochs, and a call
    # with guards skipped would raise instead of recompiling. WarmCalls sends a new count through the guards once.
    from vaelab.training.step import WarmCalls

    before = torch.get_num_threads()
    fn = torch.compile(lambda x: (x.sin() * 2).sum(1))
    x = torch.randn(100, 784)
    warm = WarmCalls()
    try:
        first = warm(fn, x.shape, x)
        assert torch.equal(warm(fn, x.shape, x), first)  # warm: guards skipped
        torch.set_num_threads(1 if before > 1 else 2)
        torch.testing.assert_close(warm(fn, x.shape, x), first)
        torch.testing.assert_close(warm(fn, x.shape, x), first)
        assert warm.threads == {before, torch.get_num_threads()}
    finally:
        torch.set_num_threads(before)
