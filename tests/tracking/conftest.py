"""Every tracking test writes its MLflow runs under pytest's temporary folders, never into the repository."""

import pytest

from vaelab.tracking.mlflow import PARENT_ENV


@pytest.fixture(scope="session")
def mlflow_store(tmp_path_factory):
    """One SQLite store for the session (creating its tables takes ~2 s): its tracking URI."""
    return f"sqlite:///{tmp_path_factory.mktemp('mlruns') / 'mlflow.db'}"


@pytest.fixture(autouse=True)
def _tracking_env(mlflow_store, tmp_path, monkeypatch):
    """MLflow pointed at the session's store, run from ``tmp_path``, with no experiment or sweep parent set."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_store)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    monkeypatch.delenv(PARENT_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
