"""Fixtures for the report tests: synthetic run directories (the headless Chromium is in tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.helpers.report_runs import sample_runs


@pytest.fixture
def runs(tmp_path):
    """Three run directories: vae (everything), beta-vae (other config, skipped metrics), a hostile-named one
    with neither diagnostics nor plots."""
    return sample_runs(tmp_path / "runs")
