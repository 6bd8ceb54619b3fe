"""The web app of ``vaelab explore``: a Starlette application over an :class:`~vaelab.explorer.state.ExploreSession`.

Routes (all JSON but the page and its three static files):

========================  ===================================================================
``GET /``                 the page (``static/index.html``, ``app.js``, ``style.css``)
``GET /api/info``         the runs: model, data, latent dimensions ordered by activity, samplers
``GET /api/map``          ``?run=R&projection=pca|tsne&colour=KEY``: the examples' map positions
``GET /api/example``      ``?run=R&example=I``: one example's picture or molecule, label, properties
``POST /api/decode``      ``{run, at: {example|point|code}, projection, fill}``: a code and its decoding
``POST /api/path``        ``{run, a, b, steps, projection, fill}``: linear and spherical paths, decoded
``POST /api/samples``     ``{run, sampler, n, seed, projection}``: sampled codes, placed and decoded
``POST /api/export``      ``{kind: png|json, data}``: saved into ``--export-dir`` (only when one was given)
========================  ===================================================================

Safety: :class:`Guard` refuses any request whose ``Host`` is not the bound address
(DNS rebinding), any ``Origin`` other than the page's own and any cross-site fetch
(CSRF), POST bodies that are not JSON or are too large; every value a request carries is
checked by :mod:`vaelab.explorer.validate` (4xx with a one-line message). The client
never names a file: the page and static files are fixed, and an export's file name is
made here. Answers carry a Content-Security-Policy that lets the page reach nothing but
this server.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

from vaelab.errors import VaelabError
from vaelab.explorer.projection import FILLS, METHODS
from vaelab.explorer.validate import BadRequest, anchor, choice, integer, json_body, only_keys, query_integer, shown

STATIC = Path(__file__).resolve().parent / "static"
BODY_LIMIT = 64 * 1024  # bytes of an API request body (a 1,000-dimensional code is about 20 kB)
EXPORT_LIMIT = 16 * 1024 * 1024  # bytes of an export (a PNG of the page)
MAX_STEPS = 32  # points on a path
MAX_SAMPLES = 64  # samples per request
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer"),
                    (b"cache-control", b"no-store")]


def allowed_hosts(port: int) -> tuple[set[str], set[str]]:
    """The Host values and Origins of a server on 127.0.0.1:port (``localhost`` names the same address)."""
    hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
    return hosts, {f"http://{h}" for h in hosts}


async def _send_json(send, status: int, payload: dict) -> None:
    body = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """ASGI middleware: Host, Origin, Sec-Fetch-Site, Content-Type and Content-Length checks, security headers."""

    def __init__(self, app, hosts: set[str], origins: set[str]):
        self.app, self.hosts, self.origins = app, hosts, origins

    def refusal(self, scope) -> tuple[int, str] | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if host not in self.hosts:
            return 403, (f"Host {shown(host)} is not this server ({min(self.hosts)}): refused, as a page of "
                         "another site reaching it by DNS rebinding would be")
        origin = headers.get("origin")
        if origin is not None and origin not in self.origins:
            return 403, f"cross-origin request from {shown(origin)} refused: only this server's own page may call it"
        fetch_site = headers.get("sec-fetch-site")  # browsers say where a request comes from
        if fetch_site is not None and fetch_site not in ("same-origin", "none"):
            return 403, (f"request from another site or page (Sec-Fetch-Site: {shown(fetch_site)}) refused: only "
                         "this server's own page may call it")
        if scope["method"] == "POST":
            if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
                return 415, "POST bodies must be JSON (Content-Type: application/json)"
            limit = EXPORT_LIMIT if scope["path"] == "/api/export" else BODY_LIMIT
            length = headers.get("content-length", "0")
            if not length.isdigit() or int(length) > limit:
                return 413, f"the body is larger than {limit} bytes (Content-Length {shown(length)})"
        return None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        refused = self.refusal(scope)
        if refused is not None:
            return await _send_json(send, refused[0], {"error": refused[1]})

        async def secured(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        return await self.app(scope, receive, secured)


async def _body(request) -> dict:
    """The request's JSON object, read up to the route's limit (a body without Content-Length is counted too)."""
    limit = EXPORT_LIMIT if request.url.path == "/api/export" else BODY_LIMIT
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadRequest(f"the body is larger than {limit} bytes", 413)
        chunks.append(chunk)
    return json_body(b"".join(chunks))


def _round(a: np.ndarray) -> list:
    return np.round(np.asarray(a, dtype=np.float64), 5).tolist()


class Api:
    """The routes' logic over a session; every method takes checked values and returns a JSON-able dict."""

    def __init__(self, session):
        self.session = session
        self._export_names = itertools.count(1)

    # -- request parts -------------------------------------------------------------------
    def run_index(self, value) -> int:
        return integer(value, "run", 0, len(self.session.runs) - 1)

    def where(self, r: int, body: dict, key: str, method: str, fill: str):
        """The code an anchor names, with what it is and the example it came from: (z (d,), source, example)."""
        state = self.session.runs[r]
        kind, value = anchor(body.get(key), key, state.dim, len(state.rows), state.bound)
        if kind == "example":
            row = int(state.rows[value])
            return state.codes[value], f"example {value} ({state.split} row {row}): its posterior mean", value
        if kind == "code":
            return value.astype(np.float64), "the code set by the sliders", None
        proj, i = self.session.projection(r, method)
        z, near = proj.lift(i, value, fill)
        return z, _lift_text(proj.method, value, fill, near), near

    def options(self, body: dict) -> tuple[str, str]:
        return (choice(body.get("projection", "pca"), "projection", METHODS),
                choice(body.get("fill", "mean"), "fill", FILLS))

    # -- routes --------------------------------------------------------------------------
    def info(self) -> dict:
        return {**self.session.info(), "limits": {"steps": MAX_STEPS, "samples": MAX_SAMPLES},
                "projections": list(METHODS), "fills": list(FILLS)}

    def map(self, query) -> dict:
        r = query_integer(query.get("run"), "run", 0, len(self.session.runs) - 1, 0)
        state = self.session.runs[r]
        method = choice(query.get("projection", "pca"), "projection", METHODS)
        colour = choice(query.get("colour", state.default_colour), "colour", state.colourings)
        proj, i = self.session.projection(r, method)
        return {"run": r, "method": proj.method, "xlabel": proj.xlabel, "ylabel": proj.ylabel,
                "xy": _round(proj.coords[i]), "colour": state.colourings[colour].as_json(),
                "joint": self.session.joint and len(self.session.runs) > 1}

    def example(self, query) -> dict:
        r = query_integer(query.get("run"), "run", 0, len(self.session.runs) - 1, 0)
        state = self.session.runs[r]
        return {"run": r, **state.example(query_integer(query.get("example"), "example", 0, len(state.rows) - 1))}

    def decode(self, body: dict) -> dict:
        only_keys(body, ("run", "at", "projection", "fill"))
        r = self.run_index(body.get("run"))
        method, fill = self.options(body)
        z, source, example = self.where(r, body, "at", method, fill)
        proj, i = self.session.projection(r, method)
        state = self.session.runs[r]
        return {"run": r, "code": _round(z), "xy": _round(proj.place(i, z)[0]), "source": source,
                "example": example, "item": state.decode(z[None])[0]}

    def path(self, body: dict) -> dict:
        import torch

        from vaelab.views.paths import lerp, slerp

        only_keys(body, ("run", "a", "b", "steps", "projection", "fill"))
        r = self.run_index(body.get("run"))
        method, fill = self.options(body)
        steps = integer(body.get("steps", 8), "steps", 2, MAX_STEPS)
        a, _, _ = self.where(r, body, "a", method, fill)
        b, _, _ = self.where(r, body, "b", method, fill)
        state, (proj, i) = self.session.runs[r], self.session.projection(r, method)
        ends = torch.as_tensor(np.stack([a, b]), dtype=torch.float64)  # (2, d)
        t = torch.linspace(0, 1, steps, dtype=torch.float64)  # (S,)
        out = {"run": r, "t": _round(t.numpy())}
        for name, fn in (("linear", lerp), ("spherical", slerp)):
            z = fn(ends[:1], ends[1:], t)[0].numpy()  # (S, d)
            out[name] = {"xy": _round(proj.place(i, z)), "items": state.decode(z)}
        return out

    def samples(self, body: dict) -> dict:
        only_keys(body, ("run", "sampler", "n", "seed", "projection"))
        r = self.run_index(body.get("run"))
        state = self.session.runs[r]
        method = choice(body.get("projection", "pca"), "projection", METHODS)
        if not state.samplers:
            raise BadRequest(f"run {state.name} offers no sampler")
        name = choice(body.get("sampler", state.samplers[0]), "sampler", state.samplers)
        n = integer(body.get("n", 16), "n", 1, MAX_SAMPLES)
        seed = integer(body.get("seed", 0), "seed", 0, 2**31 - 1)
        z, note = state.sample(name, n, seed)  # (n, d)
        proj, i = self.session.projection(r, method)
        return {"run": r, "sampler": name, "note": note, "codes": _round(z), "xy": _round(proj.place(i, z)),
                "items": state.decode(z)}

    def export(self, body: dict) -> dict:
        folder = self.session.export_dir
        if folder is None:
            raise BadRequest("the server saves nothing: start it with --export-dir DIR to save exports there "
                             "(the page's download buttons need no server)", 403)
        only_keys(body, ("kind", "data"))
        kind = choice(body.get("kind"), "kind", ("png", "json"))
        data = body.get("data")
        if kind == "png":
            blob = _png_bytes(data)
        else:
            if not isinstance(data, dict):
                raise BadRequest(f"'data' of a json export must be an object, got {shown(data)}")
            blob = (json.dumps(data, indent=2, allow_nan=False) + "\n").encode()
        from vaelab.fileio import atomic_write_bytes

        path = folder / f"explore-{time.strftime('%Y%m%d-%H%M%S')}-{next(self._export_names)}.{kind}"
        atomic_write_bytes(path, blob)
        return {"wrote": path.name, "bytes": len(blob)}


def _png_bytes(data) -> bytes:
    prefix = "data:image/png;base64,"
    if not isinstance(data, str) or not data.startswith(prefix):
        raise BadRequest(f"'data' of a png export must be a {prefix}... URL, got {shown(data)}")
    try:
        blob = base64.b64decode(data[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("'data' is not valid base64") from None
    if not blob.startswith(PNG_MAGIC):
        raise BadRequest("'data' is not a PNG image")
    return blob


def _lift_text(method: str, p: np.ndarray, fill: str, near: int | None) -> str:
    at = f"map point ({p[0]:.3g}, {p[1]:.3g})"
    if method in ("identity", "1-D"):
        return f"{at}: the code itself"
    if method == "t-SNE":
        return f"{at}: t-SNE has no inverse, so the code of the nearest example ({near})"
    rest = "the codes' mean" if fill == "mean" else f"the nearest example's code (example {near})"
    return f"{at}: {method} inverse, other directions at {rest}"


def create_app(session, port: int):
    """The Starlette app serving ``session`` to the page at http://127.0.0.1:``port``/ (and only to it)."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import FileResponse, JSONResponse
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    api = Api(session)

    def locked(fn, *args):
        with session.lock:
            return fn(*args)

    async def answer(fn, *args, slow: bool = False) -> JSONResponse:
        """``fn(*args)`` as JSON. Quick calls (a decode: a few ms) run on the event loop itself: a hop to a worker
        thread and back costs two thread wake-ups, which on a busy CPU cost more than the decode. Calls that may
        fit something (a t-SNE map, a mixture of Gaussians) run in a worker thread."""
        try:
            t0 = time.perf_counter()
            result = await run_in_threadpool(locked, fn, *args) if slow else locked(fn, *args)
            ms = 1000 * (time.perf_counter() - t0)  # what the server spent, for the page and the benchmark
            return JSONResponse(result, headers={"Server-Timing": f"app;dur={ms:.2f}"})
        except BadRequest as err:
            return JSONResponse({"error": err.message}, status_code=err.status)
        except VaelabError as err:  # e.g. a sampler that cannot be fitted to these codes
            return JSONResponse({"error": str(err)}, status_code=422)
        except Exception as err:  # noqa: BLE001  (a bug: one line in the terminal, no traceback to the page)
            print(f"vaelab explore: internal error ({type(err).__name__}: {str(err)[:200]})", file=sys.stderr)
            return JSONResponse({"error": f"internal error ({type(err).__name__}); see the terminal"},
                                status_code=500)

    def get(fn, slow: bool = False):
        async def endpoint(request: Request):
            return await answer(fn, request.query_params, slow=slow)
        return endpoint

    def post(fn, slow: bool = False):
        async def endpoint(request: Request):
            try:
                body = await _body(request)
            except BadRequest as err:
                return JSONResponse({"error": err.message}, status_code=err.status)
            return await answer(fn, body, slow=slow)
        return endpoint

    async def page(request: Request):
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    async def http_error(request: Request, exc: HTTPException):
        return JSONResponse({"error": f"{exc.detail}: {request.method} {request.url.path}"},
                            status_code=exc.status_code)

    routes = [Route("/", page), Route("/api/info", get(lambda q: api.info())),
              Route("/api/map", get(api.map, slow=True)), Route("/api/example", get(api.example)),
              Route("/api/decode", post(api.decode), methods=["POST"]),
              Route("/api/path", post(api.path, slow=True), methods=["POST"]),
              Route("/api/samples", post(api.samples, slow=True), methods=["POST"]),
              Route("/api/export", post(api.export), methods=["POST"]),
              Mount("/static", StaticFiles(directory=STATIC), name="static")]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error})
    hosts, origins = allowed_hosts(port)
    return Guard(app, hosts, origins)
