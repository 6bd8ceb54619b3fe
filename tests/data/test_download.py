"""Downloads against a local HTTP server: success + cache reuse, checksum mismatch, network failures."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import socket
import struct
import sys
import threading
from functools import partial

import numpy as np
import pytest

from vaelab.config import DataConfig
from vaelab.data import load_data, mnist
from vaelab.data.download import fetch, files_status, find_or_fetch
from vaelab.data.registry import make_context
from vaelab.errors import DataError


def idx_gz(array: np.ndarray) -> bytes:
    """uint8 array -> gzipped IDX bytes (magic 0x0801 / 0x0803 by number of dims)."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture
def server(tmp_path):
    """(root folder served, base URL) of an HTTP server on 127.0.0.1 in a thread."""
    root = tmp_path / "served"
    root.mkdir()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def env(tmp_path, monkeypatch):
    """An empty cache, no data dir, and no real mirror."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("VAELAB_CACHE", str(cache))
    monkeypatch.delenv("VAELAB_DATA", raising=False)
    monkeypatch.delenv("VAELAB_MIRROR", raising=False)
    return cache


def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mnist_files(server, monkeypatch):
    """Tiny MNIST files (20 train, 10 test) on the server, with their md5s in the checksum table."""
    root, url = server
    rng = np.random.default_rng(0)
    folder = root / "mnist"
    folder.mkdir()
    arrays = {"train-images-idx3-ubyte.gz": rng.integers(0, 256, (20, 28, 28)),
              "train-labels-idx1-ubyte.gz": rng.integers(0, 10, 20),
              "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (10, 28, 28)),
              "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, 10)}
    for name, arr in arrays.items():
        data = idx_gz(arr)
        (folder / name).write_bytes(data)
        monkeypatch.setitem(mnist.CHECKSUMS, f"mnist/{name}", "md5:" + hashlib.md5(data).hexdigest())
    monkeypatch.setenv("VAELAB_MIRROR", url)
    return arrays


def test_download_then_cache_without_network(env, mnist_files, monkeypatch):
    b = load_data(DataConfig(name="mnist"))
    assert (len(b.train), len(b.valid), len(b.test)) == (18, 2, 10)
    assert np.allclose(b.test.x.numpy().reshape(10, 28, 28), mnist_files["t10k-images-idx3-ubyte.gz"] / 255.0)
    assert sorted(p.name for p in (env / "mnist").iterdir()) == sorted(mnist_files)
    assert files_status(make_context(), "mnist", [mnist.IDX_FILES], 11.6).startswith("cached: ")
    # Second load: the network is gone and downloads are off, so only the cache can serve it.
    monkeypatch.setenv("VAELAB_MIRROR", f"http://127.0.0.1:{closed_port()}")
    again = load_data(DataConfig(name="mnist", download=False))
    assert again.describe() == b.describe()


def test_checksum_mismatch_leaves_nothing(env, mnist_files, monkeypatch):
    monkeypatch.setitem(mnist.CHECKSUMS, "mnist/train-images-idx3-ubyte.gz", "md5:" + "0" * 32)
    with pytest.raises(DataError) as err:
        load_data(DataConfig(name="mnist"))
    msg = str(err.value)
    actual = hashlib.md5(idx_gz(mnist_files["train-images-idx3-ubyte.gz"])).hexdigest()
    assert "checksum mismatch" in msg and "train-images-idx3-ubyte.gz" in msg
    assert "md5:" + "0" * 32 in msg and f"md5:{actual}" in msg
    assert list((env / "mnist").iterdir()) == []  # no partial file, no temp file


def test_unreachable_host_names_the_fix(env, monkeypatch):
    monkeypatch.setenv("VAELAB_MIRROR", f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(DataError) as err:
        load_data(DataConfig(name="mnist"))
    msg = str(err.value)
    assert "download of" in msg and "failed" in msg
    assert "--data-dir" in msg and "VAELAB_DATA" in msg
    assert "<DIR>/mnist/" in msg and "t10k-labels-idx1-ubyte.gz" in msg
    assert list((env / "mnist").iterdir()) == []


def test_unreachable_with_data_dir_names_the_folder(env, tmp_path, monkeypatch):
    monkeypatch.setenv("VAELAB_MIRROR", f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(DataError, match=r"binarized_mnist_train\.amat.*into .*mydata/binarized_mnist/"):
        load_data(DataConfig(name="binarized-mnist", data_dir=str(tmp_path / "mydata")))


def test_http_404(env, server, tmp_path):
    root, url = server
    with pytest.raises(DataError, match="HTTP Error 404"):
        fetch(f"{url}/nope.bin", tmp_path / "out" / "nope.bin", None)
    assert list((tmp_path / "out").iterdir()) == []


def test_timeout(tmp_path):
    # A socket that listens but never answers: the connection opens, the response never comes.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        url = f"http://127.0.0.1:{s.getsockname()[1]}/f.bin"
        with pytest.raises(DataError, match="failed.*(timed out|Timeout)"):
            fetch(url, tmp_path / "f.bin", None, timeout=0.5)
    assert list(tmp_path.iterdir()) == []


class _Truncating(_Quiet):
    def do_GET(self):  # promise 1000 bytes, send 10, hang up
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"x" * 10)


def test_truncated_body_is_discarded(tmp_path):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Truncating)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with pytest.raises(DataError, match="failed"):
            fetch(f"http://127.0.0.1:{httpd.server_address[1]}/f", tmp_path / "f", None)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert list(tmp_path.iterdir()) == []


def test_fetch_sha256_and_progress_on_tty(server, tmp_path, monkeypatch):
    root, url = server
    (root / "a.bin").write_bytes(b"hello" * 1000)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)  # exercise the rich bar
    good = "sha256:" + hashlib.sha256(b"hello" * 1000).hexdigest()
    out = fetch(f"{url}/a.bin", tmp_path / "d" / "a.bin", good)
    assert out.read_bytes() == b"hello" * 1000
    assert [p.name for p in out.parent.iterdir()] == ["a.bin"]


def test_offline_and_missing_names_paths(env, tmp_path):
    ctx = make_context(tmp_path / "data", download=False)
    with pytest.raises(DataError) as err:
        find_or_fetch(ctx, "mnist", "x.gz", "http://unused/x.gz", None)
    msg = str(err.value)
    assert str(tmp_path / "data" / "mnist") in msg and str(env / "mnist") in msg
    assert "data.download=true" in msg


def test_data_dir_files_are_trusted_and_preferred(env, tmp_path, monkeypatch):
    monkeypatch.setitem(mnist.CHECKSUMS, "mnist/x.gz", "md5:" + "0" * 32)
    (tmp_path / "data" / "mnist").mkdir(parents=True)
    (tmp_path / "data" / "mnist" / "x.gz").write_bytes(b"anything")
    ctx = make_context(tmp_path / "data", download=False)
    assert find_or_fetch(ctx, "mnist", "x.gz", "http://unused/x.gz", "md5:" + "0" * 32) == \
        tmp_path / "data" / "mnist" / "x.gz"
    assert files_status(ctx, "mnist", [["x.gz"]], 1) == f"local: {tmp_path / 'data' / 'mnist'}"
    assert files_status(ctx, "mnist", [["y.gz"]], 1) == "missing (downloads off)"
    assert files_status(make_context(tmp_path / "data"), "mnist", [["y.gz"]], 12) == "download (~12 MB)"


def test_omniglot_html_page_is_not_cached(env, server, monkeypatch):
    root, url = server
    (root / "omniglot").mkdir()
    (root / "omniglot" / "chardata.mat").write_text("<html>rate limited</html>")
    monkeypatch.setenv("VAELAB_MIRROR", url)
    with pytest.raises(DataError, match="not a MATLAB file"):
        load_data(DataConfig(name="omniglot"))
    assert list((env / "omniglot").iterdir()) == []
