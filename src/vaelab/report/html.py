"""Tiny HTML helpers: escaping, elements, tables, number formatting, data URIs.

Everything that reaches the page goes through :func:`esc` unless it is already a
:class:`Markup` (a ``str`` subclass that marks HTML built by these helpers). Text
from a run directory (names, config values, reasons) is therefore escaped by default;
only the helpers here produce ``Markup``.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Iterable, Mapping

from vaelab.diagnostics.catalogue import MISSING, format_number  # noqa: F401  (MISSING: re-exported for the sections)


class Markup(str):
    """A string of HTML that is safe to insert as is (built by the helpers of this module)."""

    __slots__ = ()


def esc(value) -> Markup:
    """``value`` as HTML: ``Markup`` passes through; anything else is ``str()``-ed and escaped."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value), quote=True))


def join(parts: Iterable) -> Markup:
    """Concatenate parts, escaping those that are not ``Markup``."""
    return Markup("".join(esc(p) for p in parts))


def _attrs(attrs: Mapping) -> str:
    out = []
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        name = key.rstrip("_").replace("_", "-")  # class_ -> class, data_kind -> data-kind
        out.append(f" {name}" if value is True else f' {name}="{esc(value)}"')
    return "".join(out)


def el(tag: str, *children, **attrs) -> Markup:
    """``<tag attrs>children</tag>``; children are escaped unless ``Markup``; attribute values always are.

    ``class_="x"`` gives ``class="x"``; ``data_kind="y"`` gives ``data-kind="y"``; ``None``
    and ``False`` attributes are left out, ``True`` ones are written bare.
    """
    return Markup(f"<{tag}{_attrs(attrs)}>{join(children)}</{tag}>")


def void(tag: str, **attrs) -> Markup:
    """An element without content or end tag (``img``, ``meta``, ``br``)."""
    return Markup(f"<{tag}{_attrs(attrs)}>")


def table(header: Iterable, rows: Iterable[Iterable], class_: str | None = None,
          row_attrs: Iterable[Mapping] | None = None, caption=None) -> Markup:
    """A ``<table>`` with one header row; each cell is escaped unless ``Markup``.

    A cell may also be a ``(content, attrs)`` pair to set attributes on its ``<td>``.
    The first cell of each body row is a row header (``<th scope="row">``).
    """
    head = el("thead", el("tr", join(el("th", h, scope="col") for h in header)))
    body = []
    row_attrs = list(row_attrs) if row_attrs is not None else None
    for i, row in enumerate(rows):
        cells = []
        for j, cell in enumerate(row):
            content, attrs = cell if isinstance(cell, tuple) else (cell, {})
            if j == 0:
                cells.append(el("th", content, scope="row", **attrs))
            else:
                cells.append(el("td", content, **attrs))
        body.append(el("tr", join(cells), **(row_attrs[i] if row_attrs else {})))
    cap = el("caption", caption) if caption is not None else Markup("")
    return el("table", cap, head, el("tbody", join(body)), class_=class_)


def is_number(value) -> bool:
    """An int or float, not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def fmt_number(value, digits: int = 4) -> str:
    """A number for a table: floats with ``digits`` significant figures; the rest as the catalogue writes them."""
    if not isinstance(value, float) or not math.isfinite(value):
        return format_number(value)  # None/NaN -> em dash, ints as is, infinities as signs
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        return f"{value:.{digits - 1}e}"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(value))))) if value else 0
    return f"{value:.{min(decimals, 6)}f}"


def png_data_uri(data: bytes) -> str:
    """A ``data:image/png;base64,...`` URI for PNG bytes (the page then needs no other file)."""
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def decimals_for(values: Iterable) -> int | None:
    """Decimals that suit a row of related numbers, from the largest magnitude; None: use :func:`fmt_number`.

    >= 10: 2 decimals (nats, distances); >= 1: 3; >= 0.01: 4; smaller numbers go to scientific notation.
    """
    mags = [abs(float(v)) for v in values
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)]
    if not mags:
        return None
    top = max(mags)
    if top >= 1e6 or top < 0.01:
        return None
    return 2 if top >= 10 else 3 if top >= 1 else 4


def fmt_fixed(value, decimals: int | None) -> str:
    """``value`` with ``decimals`` decimals (ints stay ints); None decimals or a non-number: :func:`fmt_number`."""
    if decimals is None or isinstance(value, (bool, int)) or not isinstance(value, float) or not math.isfinite(value):
        return fmt_number(value)
    return f"{value:.{decimals}f}"
