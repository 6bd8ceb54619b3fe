"""Console output shared by the commands: tables and the one-line error and warning formats.

Everything that comes from the user or the data (paths, run names, SMILES such as
``c1cc[nH]c1``) is printed literally: only the styles written here are rich markup.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console()
err_console = Console(stderr=True)


def fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e-2 or abs(value) >= 1e5 else f"{value:.2f}"
    return "" if value is None else str(value)


def say(text: str) -> None:
    """One line on stdout, printed as it is (no markup, no highlighting)."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def say_skipped(what: str, why: str) -> None:
    """``skipped WHAT: WHY``, the word in yellow, the rest literally."""
    console.print(f"[yellow]skipped[/] {escape(what)}: {escape(why)}", highlight=False, soft_wrap=True)


def print_table(title: str, rows: list[tuple[str, object]]) -> None:
    """A two-column key/value table."""
    table = Table(title=escape(title), show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for key, value in rows:
        table.add_row(escape(key), escape(fmt(value)))
    console.print(table)


def print_listing(title: str, records: list[dict], columns: list[str]) -> None:
    """A table with a header row: one row per record, one column per name in ``columns``."""
    table = Table(title=escape(title), title_justify="left")
    for c in columns:
        table.add_column(escape(c), overflow="fold")
    for r in records:
        table.add_row(*(escape(fmt(r.get(c))) for c in columns))
    console.print(table)


def print_error(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def print_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """``warnings.showwarning`` for the command line: one ``warning:`` line, without the source line."""
    err_console.print(f"[bold yellow]warning:[/] {escape(str(message))}", highlight=False, soft_wrap=True)
