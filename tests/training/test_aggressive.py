import torch

from vaelab.config import ModelConfig
from vaelab.models import build_model
from vaelab.training.aggressive import AggressiveStep, InnerLoopRule, decoder_parameters, encoder_parameters


def _run_rule(losses, every=10, max_steps=100):
    rule = InnerLoopRule(every, max_steps)
    for n, loss in enumerate(losses, start=1):
        rule.losses.append(loss)
        if (n % every == 0 or n >= max_steps) and rule.should_stop(n):
            return n
    return None


def test_inner_loop_stops_when_the_last_ten_are_no_better_than_the_ten_before():
    improving = [10 - 0.1 * i for i in range(30)]
    flat = [improving[-1]] * 20
    assert _run_rule(improving + flat) == 50  # block 4 (flat) still beats block 3; block 5 equals block 4: stop
    assert _run_rule([5.0] * 30) == 20  # blocks 1 and 2 equal: stop at the first comparison


def test_inner_loop_stops_at_one_hundred_steps_while_still_improving():
    assert _run_rule([100 - i for i in range(200)]) == 100


def _step(mi_values, **kw):
    torch.manual_seed(0)
    model = build_model(ModelConfig(latent_dim=2, hidden=[8]), (6,), "binary").train()
    opt = torch.optim.Adam([{"params": encoder_parameters(model)}, {"params": decoder_parameters(model)}], lr=1e-2)
    data = (torch.rand(64, 6) < 0.5).float()
    batches = iter(range(10**6))

    def sample():
        next(batches)
        return data[torch.randint(0, 64, (16,))], {}

    seq = iter(mi_values)
    return model, AggressiveStep(model, opt, 5.0, sample, (data, {}), mi_fn=lambda: next(seq), **kw), data


def test_phase_ends_at_the_first_epoch_without_mi_improvement():
    _, step, _ = _step([1.0, 1.5, 1.4, 2.0])
    flags = [step.end_epoch()["aggressive"] for _ in range(3)]
    assert flags == [True, True, True]  # epochs 1-3 ran aggressively; MI fell after epoch 3
    assert step.aggressive is False
    assert "valid_mi" not in step.end_epoch()  # no MI once the phase is over
    restored = _step([])[1]
    restored.load_state_dict(step.state_dict())
    assert restored.aggressive is False and restored.best_mi == 1.5


def test_inner_steps_touch_only_the_encoder_and_the_outer_step_only_the_decoder():
    model, step, data = _step([], max_inner=10)
    enc0 = [p.clone() for p in encoder_parameters(model)]
    dec0 = [p.clone() for p in decoder_parameters(model)]
    n = step.encoder_loop(torch.tensor(1.0))
    assert n == 10
    assert all(not torch.equal(a, b) for a, b in zip(enc0, encoder_parameters(model)))
    assert all(torch.equal(a, b) for a, b in zip(dec0, decoder_parameters(model)))
    enc1 = [p.clone() for p in encoder_parameters(model)]
    step._update(step.dec, data[:16], torch.tensor(1.0), {})
    assert all(torch.equal(a, b) for a, b in zip(enc1, encoder_parameters(model)))
    assert any(not torch.equal(a, b) for a, b in zip(dec0, decoder_parameters(model)))
