"""Checks of everything a browser sends to ``vaelab explore``: JSON bodies and query values.

Every function takes the raw value (whatever JSON or the query string gave) and either
returns it in the form the server needs or raises :class:`BadRequest`, whose message
names the field, what was expected and what came (shortened). The server turns it into a
4xx JSON answer, so a bad request never reaches the model and never shows a traceback.
Nothing here imports torch: the checks are pure Python and NumPy.
"""

from __future__ import annotations

import json
import math
import numbers
import reprlib

import numpy as np

_SHORT = reprlib.Repr()
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = 4
_SHORT.maxstring = _SHORT.maxother = 40


class BadRequest(Exception):
    """A request the server refuses: ``status`` (400, 403, 404, 413, 415) and a one-line ``message``."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


def shown(value) -> str:
    """A bad value as a message shows it: its repr, bounded (a 1 MB string stays a short line)."""
    return _SHORT.repr(value)


def json_body(raw: bytes) -> dict:
    """The JSON object of a request body; BadRequest for anything else."""
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as err:
        raise BadRequest(f"the body is not valid JSON ({str(err).splitlines()[0][:80]})") from None
    if not isinstance(value, dict):
        raise BadRequest(f"the body must be a JSON object, got {type(value).__name__}")
    return value


def _no_constant(name: str):
    """JSON's NaN and Infinity (which Python's json would accept) are refused while parsing."""
    raise ValueError(f"{name} is not a number JSON allows")


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def integer(value, name: str, lo: int, hi: int) -> int:
    """A whole number in [lo, hi]; JSON numbers like 3.0 are refused (they are not indices)."""
    if not _is_int(value):
        raise BadRequest(f"'{name}' must be a whole number, got {shown(value)}")
    if not lo <= value <= hi:
        raise BadRequest(f"'{name}' must be between {lo} and {hi}, got {value}")
    return int(value)


def query_integer(text: str | None, name: str, lo: int, hi: int, default: int | None = None) -> int:
    """A whole number from a query string (``?run=1``); missing gives ``default`` (or an error without one)."""
    if text is None:
        if default is None:
            raise BadRequest(f"the query parameter '{name}' is missing")
        return default
    if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 12:
        raise BadRequest(f"'{name}' must be a whole number, got {shown(text)}")
    return integer(int(text), name, lo, hi)


def number(value, name: str, bound: float) -> float:
    """A finite number with |value| <= bound."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise BadRequest(f"'{name}' must be a number, got {shown(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise BadRequest(f"'{name}' must be finite, got {value}")
    if abs(value) > bound:
        raise BadRequest(f"'{name}' = {value:g} is out of range: |value| must be <= {bound:g}")
    return value


def choice(value, name: str, options) -> str:
    """One of ``options`` (strings)."""
    options = list(options)
    if not isinstance(value, str) or value not in options:
        raise BadRequest(f"'{name}' must be one of {', '.join(options)}, got {shown(value)}")
    return value


def vector(value, name: str, length: int, bound: float, what: str = "one per latent dimension") -> np.ndarray:
    """A list of ``length`` finite numbers, each within ±bound: (length,) float32."""
    if not isinstance(value, list):
        raise BadRequest(f"'{name}' must be a list of {length} numbers, got {shown(value)}")
    if len(value) != length:
        raise BadRequest(f"'{name}' must have {length} values ({what}), got {len(value)}")
    return np.array([number(v, f"{name}[{i}]", bound) for i, v in enumerate(value)], dtype=np.float32)


def flag(value, name: str) -> bool:
    if not isinstance(value, bool):
        raise BadRequest(f"'{name}' must be true or false, got {shown(value)}")
    return value


def only_keys(body: dict, allowed, where: str = "the body") -> None:
    """Refuse keys the endpoint does not know (a typo would otherwise be silently ignored)."""
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise BadRequest(f"unknown key(s) {', '.join(map(shown, unknown))} in {where}; "
                         f"known: {', '.join(sorted(allowed))}")


ANCHOR_KINDS = ("example", "point", "code")


def anchor(value, name: str, dim: int, examples: int, bound: float) -> tuple[str, object]:
    """Where a decode or a path end is: ``{"example": i}`` (the i-th example on the map), ``{"point": [x, y]}``
    (a map position) or ``{"code": [...]}`` (a latent code); exactly one of them. Returns ``(kind, value)``."""
    if not isinstance(value, dict):
        raise BadRequest(f"'{name}' must be an object with one of {', '.join(ANCHOR_KINDS)}, got {shown(value)}")
    only_keys(value, ANCHOR_KINDS, f"'{name}'")
    given = [k for k in ANCHOR_KINDS if k in value]
    if len(given) != 1:
        raise BadRequest(f"'{name}' must give exactly one of {', '.join(ANCHOR_KINDS)}, got "
                         f"{', '.join(given) if given else 'none'}")
    kind = given[0]
    if kind == "example":
        return kind, integer(value["example"], f"{name}.example", 0, examples - 1)
    if kind == "point":
        return kind, vector(value["point"], f"{name}.point", 2, bound, "x and y on the map")
    return kind, vector(value["code"], f"{name}.code", dim, bound)
