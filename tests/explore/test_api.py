"""The explore server's endpoints through Starlette's TestClient: answers, maps and their inverses, refusals."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from tests.explore.conftest import PORT, client_for
from tests.helpers import snapshot


def _png(url: str) -> np.ndarray:
    assert url.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB"))


def _refused(response, status: int, *words: str) -> str:
    """A 4xx JSON answer with a one-line message holding ``words``, and no traceback."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    message = response.json()["error"]
    assert message and "\n" not in message and "Traceback" not in response.text
    for w in words:
        assert w.lower() in message.lower(), message
    return message


# ------------------------------------------------------------------ the page and its files

def test_page_and_static_files_carry_a_policy_that_blocks_other_hosts(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert '<script src="/static/app.js">' in page.text and "http" not in page.text.split("<body>")[1]
    for name in ("app.js", "style.css"):
        r = client.get(f"/static/{name}")
        assert r.status_code == 200 and "http://" not in r.text and "https://" not in r.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp
    assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/static/../state.py", "/static/%2e%2e/state.py", "/static/../../api.py",
                                  "/state.py", "/static/"])
def test_no_file_outside_static_is_served(client, path):
    assert client.get(path).status_code == 404


# ------------------------------------------------------------------ info, map, example

def test_info_lists_dimensions_by_activity_with_their_kl(client, session_4d):
    info = client.get("/api/info").json()
    run = info["runs"][0]
    assert run["latent_dim"] == 4 and run["kind"] == "image" and run["samplers"] == ["prior", "gaussian", "gmm"]
    activity = [d["activity"] for d in run["dims"]]
    assert activity == sorted(activity, reverse=True)
    assert sorted(d["dim"] for d in run["dims"]) == [0, 1, 2, 3]
    assert all(d["kl"] is not None and d["lo"] < 0 < d["hi"] for d in run["dims"])
    assert all(d["collapsed"] == (d["activity"] <= 0.01) for d in run["dims"])
    assert not info["linked"] and info["joint"] and not info["export"]


def test_a_2d_map_shows_the_codes_themselves(session_2d):
    c = client_for(session_2d)
    m = c.get("/api/map?run=0&projection=pca").json()
    assert m["method"] == "identity" and m["xlabel"] == "z0"
    np.testing.assert_allclose(m["xy"], session_2d.runs[0].codes, atol=1e-4)
    z = c.post("/api/decode", json={"run": 0, "at": {"point": [0.25, -1.5]}}).json()
    assert z["code"] == [0.25, -1.5] and z["xy"] == [0.25, -1.5] and "the code itself" in z["source"]


def test_pca_map_places_the_examples_and_lifts_clicks_back_onto_them(client, session_4d):
    m = client.get("/api/map?run=0&projection=pca").json()
    assert m["method"] == "PCA" and m["xlabel"].startswith("PC1")
    xy = np.asarray(m["xy"])
    assert xy.shape == (len(session_4d.runs[0].rows), 2)
    for fill in ("mean", "nearest"):
        point = (xy[3] + xy[7]) / 2
        r = client.post("/api/decode", json={"run": 0, "at": {"point": point.tolist()}, "fill": fill}).json()
        np.testing.assert_allclose(r["xy"], point, atol=1e-4)  # the inverse is exact on the map's plane
        assert ("codes' mean" if fill == "mean" else "nearest example") in r["source"]
    nearest = client.post("/api/decode", json={"run": 0, "at": {"point": xy[5].tolist()}, "fill": "nearest"}).json()
    np.testing.assert_allclose(nearest["code"], session_4d.runs[0].codes[5], atol=1e-4)  # on a point: its code


def test_tsne_map_has_no_inverse_and_says_so(client):
    m = client.get("/api/map?run=0&projection=tsne").json()
    assert m["method"] == "t-SNE"
    xy = np.asarray(m["xy"])
    r = client.post("/api/decode", json={"run": 0, "at": {"point": (xy[2] + 1e-3).tolist()},
                                         "projection": "tsne"}).json()
    assert "no inverse" in r["source"]
    np.testing.assert_allclose(r["xy"], xy[2], atol=1e-4)


def test_example_is_a_picture_with_its_label(client):
    e = client.get("/api/example?run=0&example=4").json()
    assert e["example"] == 4 and _png(e["image"]).shape == (8, 8, 3)
    assert len(e["values"]) == 1 and next(iter(e["values"].values())) in ("0", "1", "2", "3", 0, 1, 2, 3)


# ------------------------------------------------------------------ decode, path, samples

def test_decode_an_example_gives_its_posterior_mean_and_mean_image(client, session_4d):
    r = client.post("/api/decode", json={"run": 0, "at": {"example": 2}}).json()
    np.testing.assert_allclose(r["code"], session_4d.runs[0].codes[2], atol=1e-4)
    assert r["example"] == 2 and "posterior mean" in r["source"]
    same = client.post("/api/decode", json={"run": 0, "at": {"code": r["code"]}}).json()
    assert same["item"]["image"] == r["item"]["image"]
    other = client.post("/api/decode", json={"run": 0, "at": {"code": [3.0, -3.0, 3.0, -3.0]}}).json()
    assert (_png(other["item"]["image"]) != _png(r["item"]["image"])).any()


def test_paths_run_from_a_to_b_linearly_and_on_the_sphere(client, session_4d):
    codes = session_4d.runs[0].codes
    r = client.post("/api/path", json={"run": 0, "a": {"example": 1}, "b": {"code": [2.0, 0.0, 0.0, 1.0]},
                                       "steps": 5}).json()
    assert r["t"] == [0.0, 0.25, 0.5, 0.75, 1.0]
    for kind in ("linear", "spherical"):
        assert len(r[kind]["items"]) == 5 and len(r[kind]["xy"]) == 5
    a = client.post("/api/decode", json={"run": 0, "at": {"example": 1}}).json()
    assert r["linear"]["items"][0]["image"] == a["item"]["image"] == r["spherical"]["items"][0]["image"]
    np.testing.assert_allclose(r["linear"]["xy"][0], a["xy"], atol=1e-4)
    assert np.linalg.norm(codes[1]) > 0 and r["linear"]["xy"][2] != r["spherical"]["xy"][2]


@pytest.mark.parametrize("sampler", ["prior", "gaussian", "gmm"])
def test_samples_are_placed_and_decoded_without_writing_the_run(client, trained_run, sampler):
    before = snapshot(trained_run)
    r = client.post("/api/samples", json={"run": 0, "sampler": sampler, "n": 5, "seed": 3}).json()
    assert len(r["items"]) == len(r["xy"]) == len(r["codes"]) == 5 and r["sampler"] == sampler
    again = client.post("/api/samples", json={"run": 0, "sampler": sampler, "n": 5, "seed": 3}).json()
    assert again["codes"] == r["codes"]  # a seed gives the same samples
    assert ("in memory" in r["note"]) == (sampler != "prior")
    assert snapshot(trained_run) == before  # no samplers/ folder: explore never writes a run


def test_a_model_without_prior_offers_only_fitted_samplers(session_pair):
    c = client_for(session_pair)
    rae = c.get("/api/info").json()["runs"][1]
    assert rae["samplers"] == ["gaussian", "gmm"] and not rae["has_prior"]
    assert all(d["kl"] is None for d in rae["dims"])
    _refused(c.post("/api/samples", json={"run": 1, "sampler": "prior"}), 400, "sampler", "gaussian, gmm")


def test_two_runs_of_one_latent_dimension_share_examples_and_one_map(session_pair):
    c = client_for(session_pair)
    info = c.get("/api/info").json()
    assert info["linked"] and info["joint"]
    a, b = (c.get(f"/api/map?run={r}").json() for r in (0, 1))
    assert a["joint"] and a["xlabel"] == b["xlabel"]  # one PCA fitted to both runs' codes
    point = [0.3, -0.2]
    za, zb = (c.post("/api/decode", json={"run": r, "at": {"point": point}}).json() for r in (0, 1))
    np.testing.assert_allclose(za["xy"], point, atol=1e-4)
    np.testing.assert_allclose(zb["xy"], point, atol=1e-4)
    assert za["code"] != zb["code"]  # the same place on the shared map, each run's own other directions


def test_runs_of_different_dimensions_each_get_their_own_map(trained_run, run_2d):
    from vaelab.explorer import load_session

    c = client_for(load_session([trained_run, run_2d], "test", device="cpu"))
    info = c.get("/api/info").json()
    assert not info["joint"] and not info["linked"]  # 4-D and 2-D; 600 and 400 synthetic examples
    assert c.get("/api/map?run=0").json()["method"] == "PCA"
    assert c.get("/api/map?run=1").json()["method"] == "identity"
    _refused(c.post("/api/decode", json={"run": 1, "at": {"code": [0, 0, 0, 0]}}), 400, "2 values")


# ------------------------------------------------------------------ molecules

def test_a_molecule_run_decodes_to_smiles_with_a_drawing(session_tokens):
    c = client_for(session_tokens)
    info = c.get("/api/info").json()["runs"][0]
    assert info["kind"] == "molecule" and info["default_colour"] in {"logp", info["default_colour"]}
    assert {"logp", "qed", "sa"} <= {col["key"] for col in info["colours"]}
    m = c.get("/api/map?run=0&colour=qed").json()
    assert m["colour"]["kind"] == "continuous" and len(m["colour"]["values"]) == len(m["xy"])
    e = c.get("/api/example?run=0&example=0").json()
    assert e["valid"] and e["smiles"] and e["image"].startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(e["image"].split(",", 1)[1]).decode()
    assert "<svg" in svg and "<script" not in svg and "href" not in svg
    d = c.post("/api/decode", json={"run": 0, "at": {"example": 0}}).json()["item"]
    assert set(d) == {"smiles", "valid", "image"} and isinstance(d["valid"], bool)
    assert (d["image"] is not None) == d["valid"]


# ------------------------------------------------------------------ exports

def test_without_an_export_folder_the_server_saves_nothing(client):
    _refused(client.post("/api/export", json={"kind": "json", "data": {}}), 403, "--export-dir")


def test_exports_go_to_the_folder_under_names_the_server_makes(session_4d, tmp_path):
    from vaelab.explorer.state import ExploreSession

    session = ExploreSession(session_4d.runs, export_dir=tmp_path)
    c = client_for(session)
    buf = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(buf, format="PNG")
    png = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    a = c.post("/api/export", json={"kind": "png", "data": png}).json()
    b = c.post("/api/export", json={"kind": "json", "data": {"code": [1, 2]}}).json()
    assert a["wrote"].endswith(".png") and b["wrote"].endswith(".json") and "/" not in a["wrote"]
    assert Image.open(tmp_path / a["wrote"]).size == (4, 3)
    assert json.loads((tmp_path / b["wrote"]).read_text()) == {"code": [1, 2]}
    _refused(c.post("/api/export", json={"kind": "png", "data": "data:image/png;base64,AAAA"}), 400, "not a PNG")
    _refused(c.post("/api/export", json={"kind": "png", "data": "data:image/png;base64,@@"}), 400, "base64")
    _refused(c.post("/api/export", json={"kind": "exe", "data": {}}), 400, "kind")
    _refused(c.post("/api/export", json={"kind": "json", "data": {}, "path": "/etc/passwd"}), 400, "unknown key")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([a["wrote"], b["wrote"]])


# ------------------------------------------------------------------ refusals

BAD_DECODES = [
    ({"run": 0, "at": {"code": [0.0, 0.0, 0.0]}}, "4 values"),
    ({"run": 0, "at": {"code": [0.0, 0.0, 0.0, 0.0, 0.0]}}, "4 values"),
    ({"run": 0, "at": {"code": [0.0, 0.0, 0.0, 1e9]}}, "out of range"),
    ({"run": 0, "at": {"code": [0.0, 0.0, "1", 0.0]}}, "must be a number"),
    ({"run": 0, "at": {"code": [0.0, 0.0, True, 0.0]}}, "must be a number"),
    ({"run": 0, "at": {"code": [0.0, 0.0, [1], 0.0]}}, "must be a number"),
    ({"run": 0, "at": {"code": "0,0,0,0"}}, "list of 4 numbers"),
    ({"run": 0, "at": {"code": None}}, "list of 4 numbers"),
    ({"run": 0, "at": {"point": [1.0]}}, "2 values"),
    ({"run": 0, "at": {"point": [1e300, 0]}}, "out of range"),
    ({"run": 0, "at": {"example": 10**6}}, "between 0 and"),
    ({"run": 0, "at": {"example": -1}}, "between 0 and"),
    ({"run": 0, "at": {"example": 1.0}}, "whole number"),
    ({"run": 0, "at": {"example": 1, "point": [0, 0]}}, "exactly one"),
    ({"run": 0, "at": {}}, "exactly one"),
    ({"run": 0, "at": {"file": "/etc/passwd"}}, "unknown key"),
    ({"run": 0, "at": [0, 0]}, "must be an object"),
    ({"run": 0}, "must be an object"),
    ({"run": 5, "at": {"example": 0}}, "between 0 and 0"),
    ({"run": -1, "at": {"example": 0}}, "between 0 and 0"),
    ({"run": "0", "at": {"example": 0}}, "whole number"),
    ({"at": {"example": 0}}, "'run'"),
    ({"run": 0, "at": {"example": 0}, "projection": "umap"}, "projection"),
    ({"run": 0, "at": {"example": 0}, "fill": "zero"}, "fill"),
    ({"run": 0, "at": {"example": 0}, "extra": 1}, "unknown key"),
]


@pytest.mark.parametrize("body,words", BAD_DECODES, ids=[w + str(i) for i, (_, w) in enumerate(BAD_DECODES)])
def test_bad_decode_requests_get_a_4xx_message(client, body, words):
    _refused(client.post("/api/decode", json=body), 400, words)


@pytest.mark.parametrize("raw,words", [('{"run": 0, "at": {"code": [NaN, 0, 0, 0]}}', "NaN"),
                                       ('{"run": 0, "at": {"code": [Infinity, 0, 0, 0]}}', "Infinity"),
                                       ('{"run": 0, "at": {"code": [1e999, 0, 0, 0]}}', "finite"),
                                       ("[1, 2]", "JSON object"), ("{not json", "not valid JSON"),
                                       ("", "not valid JSON"), ('"\\ud800"', "JSON object")])
def test_non_numbers_and_non_objects_are_refused(client, raw, words):
    r = client.post("/api/decode", content=raw.encode(), headers={"Content-Type": "application/json"})
    _refused(r, 400, words)


@pytest.mark.parametrize("path,body,words", [
    ("/api/path", {"run": 0, "a": {"example": 0}, "b": {"example": 1}, "steps": 1000}, "steps"),
    ("/api/path", {"run": 0, "a": {"example": 0}, "b": {"example": 1}, "steps": 1}, "steps"),
    ("/api/path", {"run": 0, "a": {"example": 0}}, "'b'"),
    ("/api/samples", {"run": 0, "sampler": "prior", "n": 10**6}, "'n'"),
    ("/api/samples", {"run": 0, "sampler": "prior", "n": 0}, "'n'"),
    ("/api/samples", {"run": 0, "sampler": "prior", "seed": -1}, "seed"),
    ("/api/samples", {"run": 0, "sampler": "../../etc"}, "sampler"),
    ("/api/samples", {"run": 0, "sampler": "two-stage"}, "sampler"),
])
def test_bad_path_and_sample_requests_get_a_4xx_message(client, path, body, words):
    _refused(client.post(path, json=body), 400, words)


@pytest.mark.parametrize("query,words", [("run=abc", "whole number"), ("run=7", "between"),
                                         ("run=0&example=9999", "between"), ("run=0&example=1e3", "whole number"),
                                         ("run=0", "missing"), ("run=0&example=" + "9" * 40, "whole number")])
def test_bad_example_queries_get_a_4xx_message(client, query, words):
    _refused(client.get(f"/api/example?{query}"), 400, words)


@pytest.mark.parametrize("query,words", [("projection=umap", "projection"), ("colour=../x", "colour"),
                                         ("run=-1", "between 0 and 0")])
def test_bad_map_queries_get_a_4xx_message(client, query, words):
    _refused(client.get(f"/api/map?{query}"), 400, words)


@pytest.mark.parametrize("host", ["evil.example:8765", "127.0.0.1:9999", "127.0.0.1", "attacker.com", ""])
def test_a_request_for_another_host_is_refused(client, host):
    _refused(client.get("/api/info", headers={"Host": host}), 403, "host", "dns rebinding")
    _refused(client.get("/", headers={"Host": host}), 403, "host")


def test_localhost_names_the_same_server(client):
    assert client.get("/api/info", headers={"Host": f"localhost:{PORT}"}).status_code == 200


@pytest.mark.parametrize("origin", ["http://evil.example", f"http://127.0.0.1:{PORT + 1}", "null",
                                    f"https://127.0.0.1:{PORT}"])
def test_cross_origin_requests_are_refused(client, origin):
    body = {"run": 0, "at": {"example": 0}}
    _refused(client.post("/api/decode", json=body, headers={"Origin": origin}), 403, "cross-origin")
    _refused(client.get("/api/info", headers={"Origin": origin}), 403, "cross-origin")


def test_the_pages_own_origin_and_same_origin_fetches_are_served(client):
    body = {"run": 0, "at": {"example": 0}}
    ok = client.post("/api/decode", json=body, headers={"Origin": f"http://127.0.0.1:{PORT}",
                                                         "Sec-Fetch-Site": "same-origin"})
    assert ok.status_code == 200
    for site in ("cross-site", "same-site"):  # same-site: a page on another port of this machine
        _refused(client.get("/api/info", headers={"Sec-Fetch-Site": site}), 403, site, "refused")
    assert client.get("/api/info", headers={"Sec-Fetch-Site": "none"}).status_code == 200  # typed in the URL bar


def test_bodies_must_be_json_and_small(client):
    body = json.dumps({"run": 0, "at": {"example": 0}}).encode()
    _refused(client.post("/api/decode", content=body, headers={"Content-Type": "text/plain"}), 415, "json")
    _refused(client.post("/api/decode", data={"run": "0"}), 415, "json")  # a form post, as a CSRF page sends
    big = json.dumps({"run": 0, "at": {"code": [0.0] * 100_000}}).encode()
    _refused(client.post("/api/decode", content=big, headers={"Content-Type": "application/json"}), 413, "larger")

    def chunks():  # no Content-Length: the body is counted as it arrives
        for _ in range(100):
            yield b" " * 1024

    _refused(client.post("/api/decode", content=chunks(), headers={"Content-Type": "application/json"}), 413,
             "larger")


def test_unknown_routes_and_methods_answer_json(client):
    _refused(client.get("/api/nothing"), 404, "not found")
    _refused(client.get("/api/decode"), 405, "method not allowed")
    _refused(client.put("/api/info", json={}), 405, "method not allowed")


def test_the_run_directory_is_never_written(trained_run, run_rae):
    """Every endpoint on a fresh session of two runs leaves both run directories as they were."""
    from vaelab.explorer import load_session

    before = {p: snapshot(p) for p in (trained_run, run_rae)}
    c = client_for(load_session([trained_run, run_rae], "test", device="cpu"))
    c.get("/api/info")
    for r in (0, 1):
        for projection in ("pca", "tsne"):
            c.get(f"/api/map?run={r}&projection={projection}")
        c.get(f"/api/example?run={r}&example=1")
        c.post("/api/decode", json={"run": r, "at": {"point": [0.1, 0.2]}, "fill": "nearest"})
        c.post("/api/path", json={"run": r, "a": {"example": 0}, "b": {"example": 3}})
        c.post("/api/samples", json={"run": r, "sampler": "gmm", "n": 3})
    assert {p: snapshot(p) for p in (trained_run, run_rae)} == before




def test_a_t_sne_too_large_is_a_user_error_that_the_server_answers_422(trained_run, monkeypatch):
    from vaelab.explorer import load_session, projection

    monkeypatch.setattr(projection, "TSNE_MAX_POINTS", 10)  # the 60 test examples are then too many
    c = client_for(load_session([trained_run], "test", device="cpu"))
    _refused(c.get("/api/map?run=0&projection=tsne"), 422, "t-SNE of 60 codes", "at most 10")
    assert c.get("/api/map?run=0&projection=pca").status_code == 200
