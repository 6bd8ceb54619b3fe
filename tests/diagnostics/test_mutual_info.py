"""He et al.'s per-batch MI (mi_batch) against the whole-split estimator applied batch by batch by hand."""

import math

import pytest
import torch

from vaelab.diagnostics.mutual_info import mutual_information
def test_per_batch_mi_is_the_size_weighted_mean_of_each_batchs_estimate():
    from vaelab.diagnostics.mutual_info import mutual_information_batched

    g = torch.Generator().manual_seed(0)
    mean, logvar = torch.randn(23, 3, generator=g) * 3, torch.full((23, 3), -4.0)
    got = mutual_information_batched(mean, logvar, batch_size=10, generator=torch.Generator().manual_seed(5))
    # by hand: batches of 10, 10 and 3, drawn from one generator in that order
    gen = torch.Generator().manual_seed(5)
    parts = [(mutual_information(mean[a:b], logvar[a:b], generator=gen)["mi"], b - a) for a, b in [(0, 10), (10, 20),
                                                                                                   (20, 23)]]
    assert got["mi_batch"] == pytest.approx(sum(m * k for m, k in parts) / 23, rel=1e-12)
    assert got["mi_batch_size"] == 10


def test_per_batch_mi_sits_at_log_batch_size_where_the_whole_split_mi_reaches_log_n():
    from vaelab.diagnostics.mutual_info import mutual_information_batched

    g = torch.Generator().manual_seed(0)  # well-separated, narrow posteriors: both estimates at their ceilings
    mean, logvar = torch.randn(2000, 4, generator=g) * 3, torch.full((2000, 4), -8.0)
    per_batch = mutual_information_batched(mean, logvar, generator=torch.Generator().manual_seed(1))
    whole = mutual_information(mean, logvar, generator=torch.Generator().manual_seed(1))
    # one draw per example: Monte Carlo std ~ sqrt(d / 2N) = 0.03 nats
    assert per_batch["mi_batch"] == pytest.approx(math.log(50), abs=0.15)
    assert whole["mi"] == pytest.approx(math.log(2000), abs=0.15)


def test_a_last_batch_of_one_is_folded_into_the_one_before():
    from vaelab.diagnostics.mutual_info import mutual_information_batched

    mean, logvar = torch.randn(21, 2) * 5, torch.full((21, 2), -6.0)
    got = mutual_information_batched(mean, logvar, batch_size=10, generator=torch.Generator().manual_seed(1))
    gen = torch.Generator().manual_seed(1)
    by_hand = (10 * mutual_information(mean[:10], logvar[:10], generator=gen)["mi"]
               + 11 * mutual_information(mean[10:], logvar[10:], generator=gen)["mi"]) / 21
    assert got["mi_batch"] == pytest.approx(by_hand, rel=1e-12)
