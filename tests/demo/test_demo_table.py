"""The demo's table reads the metric catalogue and prints the same numbers as the f-strings it replaced."""

from __future__ import annotations

import pytest

from vaelab.demo import DEMO_METRICS, _rows
from vaelab.diagnostics.catalogue import metric, upgrade_diagnostics


def _diagnostics(neg_elbo, iw, se, mi, au, d, fd_rec, fd_n, cv) -> dict:
    return {"neg_elbo": neg_elbo, "iw_nll": iw, "iw_nll_se": se, "iw_samples": 5000, "mi": mi, "au": au,
            "activity_per_dim": [0.5] * d, "fd": {"fd_rec": fd_rec, "fd_n": fd_n}, "bubbles": {"evenness_cv": cv}}


def _old_cells(d: dict) -> list[str]:
    """The demo's cells as it formatted them before the catalogue (fd_n was fd_prior then)."""
    return [f"{d['neg_elbo']:.2f}", f"{d['iw_nll']:.2f} ± {d['iw_nll_se']:.2f}", f"{d['mi']:.2f}",
            f"{d['au']}/{len(d['activity_per_dim'])}", f"{d['fd']['fd_rec']:.1f}", f"{d['fd']['fd_n']:.1f}",
            f"{d['bubbles']['evenness_cv']:.3f}"]


@pytest.mark.parametrize("values", [
    (107.0912, 102.0549, 1.2861, 6.2341, 12, 16, 15.0649, 163.9499, 0.07149),
    (119.2249, 107.2251, 1.2149, 6.1751, 16, 16, 21.4501, 565.6501, 3.1e-08),  # CV of equal volumes
])
def test_demo_rows_print_the_numbers_the_old_table_printed(values):
    d = _diagnostics(*values)
    rows = _rows({"vae": d})
    assert [r["vae"] for r in rows] == _old_cells(d)
    assert [r["metric"] for r in rows] == [metric(k).heading for k in DEMO_METRICS]
    assert rows[5]["metric"] == "FD (feature net) N-sampler"


def test_demo_rows_of_a_run_evaluated_before_the_rename():
    d = _diagnostics(107.09, 102.05, 1.29, 6.23, 12, 16, 15.1, 163.9, 0.071)
    old = {**d, "fd": {"fd_rec": 15.1, "fd_prior": 163.9}}
    assert _rows({"a": upgrade_diagnostics(old)}) == _rows({"a": d})
