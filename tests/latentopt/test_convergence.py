"""Convergence steps, the stopping rule and the spread of codes, against hand-made cases."""

import torch

from vaelab.latentopt.convergence import code_std, converged_step, pairwise_sq_dist, still_moving


def test_converged_step_is_where_the_curve_stays_within_tol_of_its_end():
    t = torch.arange(101, dtype=torch.float64)
    fast, slow, flat = torch.exp(-t / 5), torch.exp(-t / 20), torch.ones(101, dtype=torch.float64)
    got = converged_step(torch.stack([fast, slow, flat], 1), tol=0.01).tolist()
    # exp(-t/tau) - e_end <= 0.01 (1 - e_end), with e_end = exp(-100/tau): the first integer t after that
    for tau, step in ((5, got[0]), (20, got[1])):
        end = torch.exp(torch.tensor(-100.0 / tau, dtype=torch.float64))
        bound = -tau * torch.log(0.01 * (1 - end) + end)
        assert step == int(torch.ceil(bound)), (tau, step, float(bound))
    assert got[2] == 0


def test_a_late_excursion_delays_convergence():
    c = torch.cat([torch.linspace(10, 0, 11), torch.zeros(10)])  # reaches its end at step 10 ...
    c[15] = 1.0  # ... but leaves it again at step 15
    assert converged_step(c[:, None], tol=0.01).item() == 16


def test_still_moving_flags_curves_that_change_in_the_last_tenth():
    t = torch.arange(101, dtype=torch.float64)
    curves = torch.stack([torch.exp(-t / 5), -t], 1)  # settled; still going down linearly
    assert still_moving(curves, tol=0.01).tolist() == [False, True]


def test_pairwise_squared_distance_and_std_of_codes():
    z = torch.tensor([[[0.0, 0.0], [3.0, 4.0]], [[1.0, 1.0], [1.0, 1.0]]])  # (G=2, S=2, d=2)
    torch.testing.assert_close(pairwise_sq_dist(z), torch.tensor([25.0, 0.0]))
    torch.testing.assert_close(code_std(z), torch.tensor([2.5, 0.0]))  # variances 4.5 and 8: sqrt(6.25)
    three = torch.tensor([[[0.0], [1.0], [3.0]]])  # pairs: 1, 9, 4 -> mean 14/3
    torch.testing.assert_close(pairwise_sq_dist(three), torch.tensor([14.0 / 3.0]))
    assert pairwise_sq_dist(z[:, :1]).tolist() == [0.0, 0.0]
