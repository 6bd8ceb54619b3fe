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


@pytest.mark.parametrize("total,cycles,ratio,expected", [
    # T = 8, M = 2: cycles of 4 epochs, rising over the first R * 4 = 2 (tau = 0, 0.25, 0.5, 0.75)
    (8, 2, 0.5, [0.0, 0.5, 1.0, 1.0, 0.0, 0.5, 1.0, 1.0]),
    # R = 1: the whole cycle rises (Fu et al.'s fig. 1 with R = 1 is a sawtooth)
    (8, 2, 1.0, [0.0, 0.25, 0.5, 0.75, 0.0, 0.25, 0.5, 0.75]),
    # T = 10, M = 4: T / M = 2.5, cycles ceil(2.5) = 3 epochs, tau = 0, 0.4, 0.8; the fourth cycle is cut short
    (10, 4, 0.5, [0.0, 0.8, 1.0, 0.0, 0.8, 1.0, 0.0, 0.8, 1.0, 0.0]),
])
def test_cyclical_schedule_exact_values(total, cycles, ratio, expected):
    """Fu et al. 2019: beta_t = f(tau) = tau / R for tau <= R, else 1; tau = mod(t - 1, ceil(T / M)) / (T / M)."""
    cfg = KLScheduleConfig(kind="cyclical", cycles=cycles, ratio=ratio)
    assert [kl_weight(cfg, e, total) for e in range(total)] == pytest.approx(expected)


def test_cyclical_schedule_between_start_and_end_and_capped():
    cfg = KLScheduleConfig(kind="cyclical", start=0.2, end=0.6, cycles=2, ratio=0.5)
    assert [kl_weight(cfg, e, 8) for e in range(4)] == pytest.approx([0.2, 0.4, 0.6, 0.6])
    capped = KLScheduleConfig(kind="cyclical", cycles=2, ratio=0.5, cap=0.3)
    assert [kl_weight(capped, e, 8) for e in range(4)] == pytest.approx([0.0, 0.3, 0.3, 0.3])
    with pytest.raises(ValueError, match="needs the run's length"):
        kl_weight(cfg, 0)


def test_a_cycle_shorter_than_an_epoch_is_warned_about():
    from vaelab.training.schedules import cyclical_warning

    assert cyclical_warning(KLScheduleConfig(kind="cyclical"), 10) is None  # 4 cycles over 10: rises of 1.25 epochs
    assert cyclical_warning(KLScheduleConfig(kind="linear"), 2) is None
    text = cyclical_warning(KLScheduleConfig(kind="cyclical"), 2)
    assert "4 cycles over train.epochs=2" in text and "stays at kl_schedule.start" in text
    assert [kl_weight(KLScheduleConfig(kind="cyclical"), e, 2) for e in range(2)] == [0.0, 0.0]
