"""Pydantic validation errors as one readable line naming the config key, the problem and the value."""

from __future__ import annotations

from pydantic import ValidationError


def format_validation_error(err: ValidationError, prefix: str = "") -> str:
    """``config key 'train.epochs': Input should be a valid integer (got 'many')``; several joined by ``; ``.

    ``prefix`` is prepended to each error's location (``"model.options."`` for variant options).
    """
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"] if not str(p).startswith("function-"))
        got = e.get("input")
        got_s = "" if isinstance(got, dict) else f" (got {got!r})"
        msg = e["msg"].replace("Value error, ", "")
        if loc:
            lines.append(f"config key '{prefix}{loc}': {msg}{got_s}")
        else:
            lines.append(f"{prefix.rstrip('.')}: {msg}" if prefix else msg)
    return "; ".join(lines)
