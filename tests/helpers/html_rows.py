"""Reading the report's diagnostics table back from its HTML."""

from __future__ import annotations

from html.parser import HTMLParser


class _DiagRows(HTMLParser):
    """Collects the diagnostics table: ``{data-key: [(td classes, td text), ...]}``."""

    def __init__(self):
        super().__init__()
        self.rows: dict[str, list] = {}
        self._key = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and "data-key" in attrs:
            self._key = attrs["data-key"]
            self.rows[self._key] = []
        elif tag == "td" and self._key is not None:
            self._cell = [set((attrs.get("class") or "").split()), ""]

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.rows[self._key].append((self._cell[0], self._cell[1]))
            self._cell = None
        elif tag == "tr":
            self._key = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data


def diag_rows(page: str) -> dict[str, list]:
    parser = _DiagRows()
    parser.feed(page)
    return parser.rows
