"""Fixtures for the explore tests: tiny trained runs, loaded sessions, a test client and a real server."""

from __future__ import annotations

import threading

import pytest

from tests.helpers import tiny_config

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

PORT = 8765  # the port the test client's requests claim (no socket is opened for it)


def _train(folder, n: int, **model):
    """A tiny run on ``n`` 8x8 binary synthetic images; n=600 is the data of tests/conftest.py's trained_run."""
    import vaelab

    cfg = tiny_config(epochs=2)
    cfg["data"]["options"] = {"n": n, "image_side": 8}
    cfg["model"].update(model)
    return vaelab.train(cfg, out=folder / "run").path


@pytest.fixture(scope="session")
def run_2d(tmp_path_factory):
    """A tiny VAE with a 2-D latent space on 400 8x8 binary synthetic images (4 label classes)."""
    return _train(tmp_path_factory.mktemp("explore-2d"), 400, latent_dim=2)


@pytest.fixture(scope="session")
def run_rae(tmp_path_factory):
    """A tiny RAE (deterministic encoder, no prior) with a 4-D latent space on trained_run's images."""
    return _train(tmp_path_factory.mktemp("explore-rae"), 600, name="rae", latent_dim=4)


@pytest.fixture(scope="session")
def session_4d(trained_run):
    """The shared tiny 4-D VAE (tests/conftest.py), loaded for explore."""
    from vaelab.explorer import load_session

    return load_session([trained_run], "test", device="cpu")


@pytest.fixture(scope="session")
def session_2d(run_2d):
    from vaelab.explorer import load_session

    return load_session([run_2d], "test", device="cpu")


@pytest.fixture(scope="session")
def session_pair(trained_run, run_rae):
    """Two runs of the same data and latent dimension: linked examples, one joint map."""
    from vaelab.explorer import load_session

    return load_session([trained_run, run_rae], "test", device="cpu")


@pytest.fixture(scope="session")
def session_tokens(token_run):
    from vaelab.explorer import load_session

    return load_session([token_run.path], "test", device="cpu")


def client_for(session):
    from starlette.testclient import TestClient

    from vaelab.explorer import create_app

    return TestClient(create_app(session, PORT), base_url=f"http://127.0.0.1:{PORT}")


@pytest.fixture(scope="session")
def client(session_4d):
    return client_for(session_4d)


class Served:
    """A real uvicorn server for a session, on a free port of 127.0.0.1, in a background thread."""

    def __init__(self, session):
        import uvicorn

        from vaelab.explorer.server import create_app
        from vaelab.explorer.serving import bind

        self.sock = bind(0)
        port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/"
        config = uvicorn.Config(create_app(session, port), log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture(scope="session")
def served():
    """``served(session)`` -> the URL of a real server for it; every server stops at the end of the session."""
    servers: list[Served] = []

    def start(session) -> str:
        servers.append(Served(session))
        return servers[-1].url

    yield start
    for s in servers:
        s.stop()
