"""Serve a session on 127.0.0.1 until Ctrl-C: a free port by default, the URL printed, the browser opened."""

from __future__ import annotations

import os
import socket
import sys
import threading
import webbrowser
from contextlib import contextmanager

from vaelab.errors import VaelabError

HOST = "127.0.0.1"  # never another interface: the page can decode anything and reads the runs


def bind(port: int = 0) -> socket.socket:
    """A listening socket on 127.0.0.1:port (0: a free port the system picks); a one-line error when taken."""
    # proto IPPROTO_TCP, not 0: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on sockets that say they are
    # TCP; with it on, each response's body waited for the client's delayed ACK of its headers (44 ms a request)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # accepted connections inherit it on Linux
    if os.name != "nt":  # a restart may reuse the port of connections still in TIME_WAIT (never a live listener's)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as err:
        sock.close()
        raise VaelabError(f"cannot listen on {HOST}:{port} ({err.strerror or err}); choose another --port, or "
                          "--port 0 for a free one") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _has_display() -> bool:
    """Whether a graphical browser can open: always on macOS and Windows, with X11 or Wayland elsewhere.

    Without one, Python's ``webbrowser`` would start a text browser in this terminal.
    """
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_browser(url: str) -> bool:
    """Open ``url`` in a graphical browser, in the background; False when there is no display."""
    if not _has_display():
        return False
    threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    return True


@contextmanager
def one_thread():
    """torch on one thread while serving: the server decodes one code (or a path of a few) at a time, and on such
    small calls a thread pool costs more than it gives. On a busy 2-core CPU it cut the server's CPU time per
    decode from 11.5 to 2.7 ms (16-D MLP VAE) and from 96 to 9.7 ms (the chemical VAE's GRU decoder); see
    bench/explore_latency.py."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def serve(session, port: int | socket.socket = 0, browser: bool = True, say=print) -> str:
    """Serve ``session`` at http://127.0.0.1:PORT/ until Ctrl-C or SIGTERM; returns how it stopped.

    ``port`` is a port number (0: a free one) or a socket :func:`bind` made (so a taken
    port is refused before the runs load); it is closed when the server stops. ``say``
    prints the URL and the stop line (the CLI's ``say``). uvicorn stops the server
    gracefully on the first signal and re-raises it afterwards; it is caught here, so a
    stop is a normal return (``"stopped"``), never a traceback.
    """
    import uvicorn

    from vaelab.explorer.server import create_app

    sock = port if isinstance(port, socket.socket) else bind(port)
    port = sock.getsockname()[1]
    url = f"http://{HOST}:{port}/"
    config = uvicorn.Config(create_app(session, port), log_level="warning", access_log=False, lifespan="off",
                            proxy_headers=False, server_header=False, timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    say(f"vaelab explore: serving {len(session.runs)} run(s) at {url} (Ctrl-C to stop)")
    if browser and not open_browser(url):
        say("vaelab explore: no display found; open the URL above in a browser")
    with one_thread():
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt:  # uvicorn re-raises the SIGINT (or SIGTERM, as vaelab's Terminated) it stopped on
            pass
        finally:
            sock.close()
    say("vaelab explore: stopped")
    return "stopped"
