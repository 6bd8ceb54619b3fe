"""``vaelab explore`` on the command line: a real server process, its URL, Ctrl-C, and one-line refusals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.helpers import one_error_line, snapshot, vaelab


def _start(*args) -> tuple[subprocess.Popen, str]:
    """``vaelab explore ARGS --no-browser`` in a process, and the URL it prints once it serves."""
    proc = subprocess.Popen([sys.executable, "-m", "vaelab", "explore", *map(str, args), "--no-browser"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "DISPLAY": ""})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if "http://127.0.0.1:" in line:
            return proc, line.split(" at ")[1].split()[0]
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError(f"no URL printed: {proc.communicate()}")


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serves_on_a_free_local_port_and_stops_cleanly(trained_run, sig):
    before = snapshot(trained_run)
    proc, url = _start(trained_run, "--port", "0", "--no-progress")
    try:
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0/")
        info = _get(url + "api/info")
        assert info["runs"][0]["latent_dim"] == 4
        with urllib.request.urlopen(url, timeout=30) as page:
            assert b"vaelab explore" in page.read()
    finally:
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "error" not in err.lower(), err
    assert "vaelab explore: stopped" in out
    assert snapshot(trained_run) == before


def test_a_taken_port_is_one_line(trained_run):
    from vaelab.explorer.serving import bind

    sock = bind(0)
    try:
        r = vaelab("explore", trained_run, "--no-browser", "--port", sock.getsockname()[1])
    finally:
        sock.close()
    assert r.returncode == 2 and "choose another --port" in one_error_line(r.stderr)


@pytest.mark.parametrize("args,words", [
    (["/no/such/run"], "is not a run directory"),
    (["RUN", "RUN", "RUN"], "one or two runs"),
    (["RUN", "--port", "70000"], "port number"),
    (["RUN", "--max-points", "0"], "whole number >= 1"),
    (["RUN", "--max-points", "1"], "at least 2"),
    (["RUN", "--split", "nope"], "invalid choice"),
    (["RUN", "--export-dir", "RUN/exports"], "never writes a run"),
])
def test_bad_arguments_are_one_line(trained_run, tmp_path, args, words):
    args = [a.replace("RUN", str(trained_run)) for a in args]
    r = vaelab("explore", *args, "--no-browser")
    assert r.returncode == 2, r.stderr
    assert words in one_error_line(r.stderr)
    assert not (trained_run / "exports").exists()


def test_a_folder_that_is_not_a_run_is_one_line(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    r = vaelab("explore", tmp_path, "--no-browser")
    assert r.returncode == 2 and "not a run directory" in one_error_line(r.stderr)


def test_without_the_extra_the_command_names_the_install(trained_run):
    """Starlette and uvicorn blocked from import: one line naming pip install 'vaelab[explore]', exit 2."""
    code = ("import sys\nsys.modules['uvicorn'] = None\n"
            "from vaelab.cli.main import main\n"
            f"sys.exit(main(['explore', {str(trained_run)!r}, '--no-browser']))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 2
    line = one_error_line(r.stderr)
    assert "pip install 'vaelab[explore]'" in line and "uvicorn" in line


def test_help_says_what_it_does():
    r = vaelab("explore", "--help")
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    assert "127.0.0.1" in text and "--no-browser" in text and "--export-dir" in text and "0: a free one" in text


def test_the_api_function_survives_importing_the_package():
    """The package is vaelab.explorer, so vaelab.explore stays the API function (docs/architecture.md)."""
    import vaelab
    import vaelab.explorer  # noqa: F401

    assert callable(vaelab.explore)


def test_the_listening_socket_turns_nagle_off():
    """A socket made with proto 0 is not TCP to asyncio, which then leaves Nagle's algorithm on: every response's
    body waited for the client's delayed ACK of its headers, 44 ms a request on any machine."""
    import socket

    from vaelab.explorer.serving import bind

    sock = bind(0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        sock.close()
