import math

import pytest

from vaelab.config import KLScheduleConfig, OptimConfig
from vaelab.training.schedules import kl_weight, learning_rate


@pytest.mark.parametrize("epoch,expected", [(0, 0.0), (1, 0.1), (5, 0.5), (10, 1.0), (50, 1.0)])
def test_warm_up_zero_to_one_over_ten_epochs(epoch, expected):
    cfg = KLScheduleConfig(kind="linear", start=0.0, end=1.0, epochs=10)
    assert kl_weight(cfg, epoch) == pytest.approx(expected)


@pytest.mark.parametrize("epoch,expected", [(0, 0.1), (5, 0.55), (9, 0.91), (10, 1.0), (11, 1.0)])
def test_ne_vae_annealing_point_one_to_one(epoch, expected):
    cfg = KLScheduleConfig(kind="linear", start=0.1, end=1.0, epochs=10)
    assert kl_weight(cfg, epoch) == pytest.approx(expected)


def test_constant_beta():
    cfg = KLScheduleConfig(kind="constant", end=4.0)
    assert [kl_weight(cfg, e) for e in (0, 3, 100)] == [4.0, 4.0, 4.0]


def test_lr_schedules():
    assert learning_rate(OptimConfig(lr=1.0), 7, 10) == 1.0
    cos = OptimConfig(lr=1.0, lr_schedule="cosine")
    assert learning_rate(cos, 0, 10) == pytest.approx(1.0)
    assert learning_rate(cos, 5, 10) == pytest.approx(0.5)
    assert learning_rate(cos, 10, 10) == pytest.approx(0.0, abs=1e-12)
    step = OptimConfig(lr=1.0, lr_schedule="step", lr_step_epochs=3, lr_gamma=0.1)
    assert [learning_rate(step, e, 10) for e in (0, 2, 3, 6)] == pytest.approx([1, 1, 0.1, 0.01])
    assert not math.isnan(learning_rate(cos, 0, 0))


def test_burda_schedule_stages_and_rates():
    """Stage i lasts 3**i epochs (1, 3, 9, ..., 2187: 3,280 in all) at lr * 10**(-i/7)."""
    from vaelab.training.schedules import burda_stage

    stages = [burda_stage(e) for e in range(3280)]
    assert [stages.count(i) for i in range(8)] == [1, 3, 9, 27, 81, 243, 729, 2187]
    assert stages == sorted(stages) and burda_stage(5000) == 7
    cfg = OptimConfig(lr=1e-3, lr_schedule="burda")
    assert learning_rate(cfg, 0, 3280) == 1e-3
    assert abs(learning_rate(cfg, 1, 3280) - 1e-3 * 10 ** (-1 / 7)) < 1e-15  # epochs 1..3: stage 1
    assert abs(learning_rate(cfg, 3279, 3280) - 1e-4) < 1e-15  # stage 7: 10**(-7/7)
