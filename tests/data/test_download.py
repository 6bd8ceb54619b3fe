"""Downloads against a local HTTP server: success + cache reuse, https only, checksums (of downloads and of
files found on disk), size caps, and one line naming the URL and the fix for each failure."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import socket
import struct
import sys
import threading
from contextlib import contextmanager
from functools import partial

import numpy as np
import pytest

from vaelab.config import DataConfig
from vaelab.data import download, load_data, mnist
from vaelab.data.download import bytes_digest, check_url, fetch, files_status, find_or_fetch, parse_checksum
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
        find_or_fetch(ctx, "mnist", "x.gz", "https://unused/x.gz", None)
    msg = str(err.value)
    assert str(tmp_path / "data" / "mnist") in msg and str(env / "mnist") in msg
    assert "data.download=true" in msg


def test_data_dir_files_are_preferred(env, tmp_path):
    (tmp_path / "data" / "mnist").mkdir(parents=True)
    (tmp_path / "data" / "mnist" / "x.gz").write_bytes(b"anything")
    good = "md5:" + hashlib.md5(b"anything").hexdigest()
    ctx = make_context(tmp_path / "data", download=False)
    assert find_or_fetch(ctx, "mnist", "x.gz", "https://unused/x.gz", good) == tmp_path / "data" / "mnist" / "x.gz"
    assert files_status(ctx, "mnist", [["x.gz"]], 1) == f"local: {tmp_path / 'data' / 'mnist'}"
    assert files_status(ctx, "mnist", [["y.gz"]], 1) == "missing (downloads off)"
    assert files_status(make_context(tmp_path / "data"), "mnist", [["y.gz"]], 12) == "download (~12 MB)"


def test_omniglot_html_page_is_not_cached(env, server, monkeypatch):
    root, url = server
    (root / "omniglot").mkdir()
    (root / "omniglot" / "chardata.mat").write_text("<html>rate limited</html>")
    monkeypatch.setenv("VAELAB_MIRROR", url)
    with pytest.raises(DataError, match="sent an HTML page instead of chardata.mat"):
        load_data(DataConfig(name="omniglot"))
    assert list((env / "omniglot").iterdir()) == []


# ---------------------------------------------------------------- helpers for the tests below

@contextmanager
def serving(handler):
    """Base URL of a server on 127.0.0.1 running ``handler`` (a BaseHTTPRequestHandler class)."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def one_line(err) -> str:
    msg = str(err.value)
    assert "\n" not in msg and "Traceback" not in msg
    return msg


# ---------------------------------------------------------------- the registry of built-in files

def test_every_builtin_download_is_https_with_a_checksum_and_a_size_cap():
    keys = {f"{sub}/{name}" for sub, names in mnist.DOWNLOADS.items() for name in names}
    assert set(mnist.CHECKSUMS) == keys  # every downloaded file has a checksum, and no stale entry
    for key in sorted(keys):
        sub, name = key.split("/")
        assert mnist.BASE_URLS[sub].startswith("https://"), key
        check_url(mnist.BASE_URLS[sub] + name)
        algorithm, digest = parse_checksum(mnist.CHECKSUMS[key])
        assert len(digest) == {"md5": 32, "sha256": 64, "gitblob": 40}[algorithm], key
        assert (mnist.SIZES.get(key) or mnist.MAX_BYTES.get(key) or 0) > 0, key


def test_gitblob_is_gits_blob_id():
    assert bytes_digest(b"hello\n", "gitblob") == "ce013625030ba8dba906f756967f9e9ca394464a"  # git hash-object


@pytest.mark.shared_data
def test_the_shared_binarized_mnist_files_match_the_registry(shared_data):
    from vaelab.data.mnist import amat_bytes, read_binary_mat

    for split in mnist.SPLITS:
        x = read_binary_mat(shared_data / "binarized_mnist" / f"{split}.mat")
        digest = "sha256:" + hashlib.sha256(amat_bytes(x)).hexdigest()
        assert digest == mnist.CHECKSUMS[f"binarized_mnist/binarized_mnist_{split}.amat"]
        assert len(amat_bytes(x)) == mnist.SIZES[f"binarized_mnist/binarized_mnist_{split}.amat"]


# ---------------------------------------------------------------- https only

def test_plain_http_is_refused_except_from_loopback_or_the_mirror(env, tmp_path):
    for url in ("http://www.cs.toronto.edu/x.amat", "ftp://example.org/x", "file:///etc/passwd", "127.0.0.1:8/x"):
        with pytest.raises(DataError, match="https only") as err:
            fetch(url, tmp_path / "d" / "x", None)
        assert url in one_line(err) and "VAELAB_MIRROR" in str(err.value)
    assert not (tmp_path / "d").exists()  # refused before anything was created
    for url in ("https://example.org/x", "http://127.0.0.1:8/x", "http://127.0.0.2/x", "http://[::1]:8/x",
                "http://localhost/x"):
        check_url(url)
    check_url("http://mirror.example.org/x", allow_http=True)  # a mirror the user named: checksums still apply
    with pytest.raises(DataError):
        check_url("file:///srv/mirror/x", allow_http=True)
    # A built-in source given as plain http (not from the mirror) is refused in find_or_fetch too.
    with pytest.raises(DataError, match="https only"):
        find_or_fetch(make_context(), "mnist", "x.gz", "http://example.org/x.gz", "md5:" + "0" * 32)
    assert not (env / "mnist").exists() or list((env / "mnist").iterdir()) == []


class _Redirect(_Quiet):
    def do_GET(self):
        if self.path == "/down":  # to plain http on another host: a downgrade
            self.send_response(302)
            self.send_header("Location", "http://example.org/f.bin")
            self.end_headers()
        elif self.path == "/local":  # to plain http on loopback: allowed
            self.send_response(302)
            self.send_header("Location", "/f.bin")
            self.end_headers()
        else:
            self.send_response(200)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"hello")


def test_a_redirect_to_plain_http_is_not_followed(tmp_path):
    with serving(_Redirect) as url:
        with pytest.raises(DataError, match="redirects to http://example.org/f.bin, which was not followed") as err:
            fetch(f"{url}/down", tmp_path / "f.bin", None)
        assert f"{url}/down" in one_line(err)
        assert list(tmp_path.iterdir()) == []
        assert fetch(f"{url}/local", tmp_path / "f.bin", None).read_bytes() == b"hello"


# ---------------------------------------------------------------- size caps

class _Endless(_Quiet):
    def do_GET(self):  # no Content-Length: the body ends when the connection closes
        self.send_response(200)
        self.end_headers()
        for _ in range(50):
            self.wfile.write(b"z" * 1000)


def test_a_download_over_twice_its_expected_size_is_stopped_and_nothing_kept(server, tmp_path):
    root, url = server
    (root / "big.bin").write_bytes(b"b" * 3000)
    with pytest.raises(DataError, match=r"stopped: the server announces .*big.bin should be about") as err:
        fetch(f"{url}/big.bin", tmp_path / "d" / "big.bin", None, size=1000)  # Content-Length says 3000 > 2000
    assert f"{url}/big.bin" in one_line(err) and "Nothing was kept" in str(err.value)
    # No Content-Length: the bytes are counted as they arrive.
    with serving(_Endless) as endless, pytest.raises(DataError, match="stopped: more than"):
        fetch(f"{endless}/f.bin", tmp_path / "d" / "f.bin", None, size=10_000)
    assert list((tmp_path / "d").iterdir()) == []
    assert fetch(f"{url}/big.bin", tmp_path / "d" / "big.bin", None, size=2000).stat().st_size == 3000


def test_files_of_unknown_size_are_capped_by_an_env_var_named_in_the_message(server, tmp_path, monkeypatch):
    root, url = server
    (root / "u.bin").write_bytes(b"u" * 3000)
    monkeypatch.setenv("VAELAB_MAX_DOWNLOAD", "2K")
    with pytest.raises(DataError, match=r"over the 2.0 kB limit .*raise the limit with VAELAB_MAX_DOWNLOAD") as err:
        fetch(f"{url}/u.bin", tmp_path / "d" / "u.bin", None)
    one_line(err)
    assert list((tmp_path / "d").iterdir()) == []
    monkeypatch.setenv("VAELAB_MAX_DOWNLOAD", "lots")
    with pytest.raises(DataError, match="VAELAB_MAX_DOWNLOAD='lots' is not a size"):
        fetch(f"{url}/u.bin", tmp_path / "d" / "u.bin", None)
    monkeypatch.delenv("VAELAB_MAX_DOWNLOAD")
    assert download.default_max_bytes() == 2_000_000_000


def test_a_builtin_file_larger_than_expected_leaves_nothing_in_the_cache(env, mnist_files, monkeypatch):
    monkeypatch.setitem(mnist.SIZES, "mnist/train-images-idx3-ubyte.gz", 100)
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz should be about"):
        load_data(DataConfig(name="mnist"))
    assert "train-images-idx3-ubyte.gz" not in [p.name for p in (env / "mnist").iterdir()]
    assert not [p for p in (env / "mnist").iterdir() if p.name.endswith(".part")]


# ---------------------------------------------------------------- files found on disk

@pytest.fixture
def local_file(env, tmp_path, monkeypatch):
    """A data dir holding mnist/x.gz, and its md5 as the registry's checksum."""
    path = tmp_path / "data" / "mnist" / "x.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"original bytes")
    return path, "md5:" + hashlib.md5(b"original bytes").hexdigest()


def test_a_local_file_is_hashed_once_then_remembered_until_it_changes(local_file, monkeypatch):
    path, checksum = local_file
    calls = []
    real = download.file_digest
    monkeypatch.setattr(download, "file_digest", lambda p, a: calls.append(p) or real(p, a))
    ctx = make_context(path.parent.parent, download=False)
    for _ in range(3):
        assert find_or_fetch(ctx, "mnist", "x.gz", "https://unused/x.gz", checksum) == path
    assert calls == [path]  # hashed once; then only a stat and the small record in <cache>/verified/
    path.write_bytes(b"altered bytes!")  # same size, new mtime
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10 ** 9))
    with pytest.raises(DataError, match="is not the original file"):
        find_or_fetch(ctx, "mnist", "x.gz", "https://unused/x.gz", checksum)
    assert len(calls) == 2


def test_a_local_file_with_the_wrong_checksum_is_one_line_with_both_digests_and_the_fix(local_file):
    path, checksum = local_file
    path.write_bytes(b"tampered")
    with pytest.raises(DataError) as err:
        find_or_fetch(make_context(path.parent.parent), "mnist", "x.gz", "https://unused/x.gz", checksum)
    msg = one_line(err)
    actual = "md5:" + hashlib.md5(b"tampered").hexdigest()
    assert str(path) in msg and checksum in msg and actual in msg
    assert "delete it and run again to download the original" in msg and "data.verify=false" in msg
    # data.verify=false: the file is used as it is
    ctx = make_context(path.parent.parent, verify=False)
    assert find_or_fetch(ctx, "mnist", "x.gz", "https://unused/x.gz", checksum) == path


def test_a_cached_download_that_was_changed_later_is_caught(env, mnist_files, monkeypatch):
    load_data(DataConfig(name="mnist"))
    cached = env / "mnist" / "t10k-labels-idx1-ubyte.gz"
    cached.write_bytes(idx_gz(np.zeros(10)))  # e.g. a disk error, or an edit by hand
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte.gz is not the original file"):
        load_data(DataConfig(name="mnist"))


def test_a_binarized_mnist_mat_is_checked_by_its_contents(env, tmp_path, monkeypatch):
    import scipy.io

    from vaelab.data.mnist import amat_bytes

    folder = tmp_path / "data" / "binarized_mnist"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    xs = {s: rng.integers(0, 2, (n, 784)).astype(np.uint8) for s, n in (("train", 6), ("valid", 3), ("test", 3))}
    for split, x in xs.items():
        scipy.io.savemat(folder / f"{split}.mat", {"X": x})
    with pytest.raises(DataError) as err:  # not the real data
        load_data(DataConfig(name="binarized-mnist", data_dir=str(tmp_path / "data")))
    msg = one_line(err)
    assert "train.mat is not the original file" in msg and "variable X written out as binarized_mnist_train.amat" in msg
    for split, x in xs.items():  # the same contents in any .mat layout pass: the digest is of X, not of the file
        monkeypatch.setitem(mnist.CHECKSUMS, f"binarized_mnist/binarized_mnist_{split}.amat",
                            "sha256:" + hashlib.sha256(amat_bytes(x)).hexdigest())
    scipy.io.savemat(folder / "valid.mat", {"X": xs["valid"].T.copy()}, do_compression=True)
    b = load_data(DataConfig(name="binarized-mnist", data_dir=str(tmp_path / "data")))
    assert np.array_equal(b.valid.x.numpy().reshape(3, 784), xs["valid"])


# ---------------------------------------------------------------- one line naming the URL and the fix

class _Status(_Quiet):
    def do_GET(self):
        if self.path.startswith("/html"):  # an error page served with 200
            body = b"<!DOCTYPE html><html><body>Please sign in</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
        else:
            body = b"oops"
            self.send_response(int(self.path.strip("/")))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.mark.parametrize("path, needles", [
    ("/404", ["HTTP Error 404", "the file has moved or was removed"]),
    ("/403", ["HTTP Error 403", "refuses access"]),
    ("/503", ["HTTP Error 503", "retry later"]),
    ("/html", ["sent an HTML page instead of f.bin", "open the URL in a browser"]),
])
def test_http_failures_are_one_line_with_the_url_and_the_fix(tmp_path, path, needles):
    with serving(_Status) as url, pytest.raises(DataError) as err:
        fetch(f"{url}{path}", tmp_path / "f.bin", None, hint="put f.bin into DIR/")
    msg = one_line(err)
    assert f"{url}{path}" in msg and "To fix:" in msg and "put f.bin into DIR/" in msg
    for needle in needles:
        assert needle in msg
    assert list(tmp_path.iterdir()) == []


def test_a_404_from_the_mirror_says_to_check_the_mirror(env, server, monkeypatch):
    _, url = server
    monkeypatch.setenv("VAELAB_MIRROR", url)
    with pytest.raises(DataError, match=f"HTTP Error 404.*check that the mirror VAELAB_MIRROR={url} holds"):
        load_data(DataConfig(name="mnist"))


def test_network_failures_name_the_url_and_the_fix(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/f.bin"
    with pytest.raises(DataError) as err:
        fetch(url, tmp_path / "f.bin", None)
    msg = one_line(err)
    assert url in msg and "Connection refused" in msg and "check the network connection" in msg
    with serving(_Truncating) as base, pytest.raises(DataError) as err:
        fetch(f"{base}/f", tmp_path / "f", None)
    assert "the connection broke after 10 of 1,000 bytes" in one_line(err) and "retry" in str(err.value)
    assert list(tmp_path.iterdir()) == []
