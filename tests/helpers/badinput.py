"""The bad-input suite's harness: run the command line in this process, and judge how it failed.

A case passes when the command exits with the expected code, prints exactly one
``error:`` line on stderr (``warning:`` lines aside) holding the expected words, shows no
traceback, and reports no internal error. In-process calls keep the suite fast (no
interpreter start per case); the cases that need signals or two processes use real ones.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

#: an error line longer than this is a dump, not a message (a YAML bomb once printed 52 MB)
MAX_LINE = 600


@dataclass(frozen=True)
class Case:
    """One bad input: ``build(tmp_path, run)`` writes what it needs and returns the command's arguments."""

    id: str
    build: Callable[[Path, Path], list]
    needle: str  # words the error line must hold (case-insensitive)
    code: int = 2

    def __str__(self) -> str:
        return self.id


def cli(capsys, argv: list) -> tuple[int, str]:
    """``vaelab ARGV`` in this process: (exit code, stderr)."""
    from vaelab.cli.main import main

    capsys.readouterr()
    try:
        code = main([str(a) for a in argv])
    except SystemExit as stop:  # argparse's own exits (--help)
        code = stop.code
    return code, capsys.readouterr().err


def error_lines(stderr: str) -> list[str]:
    """The lines of ``stderr`` that are not ``warning:`` lines (warnings may span none, errors exactly one)."""
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith("warning:")]


def assert_one_clean_line(code: int, stderr: str, expected_code: int, needle: str) -> str:
    """The failure contract of every command; returns the error line."""
    assert "Traceback" not in stderr, stderr
    assert "internal error" not in stderr, stderr
    lines = error_lines(stderr)
    assert len(lines) == 1, f"expected one error line, got {len(lines)}:\n{stderr}"
    line = lines[0]
    assert line.startswith("error: "), line
    assert len(line) <= MAX_LINE, f"error line of {len(line)} characters: {line[:200]}..."
    assert needle.lower() in line.lower(), f"{needle!r} not in {line!r}"
    assert code == expected_code, f"exit code {code}, expected {expected_code}: {line}"
    return line


def snapshot(folder: Path) -> dict[str, str]:
    """relative path -> sha256 of every file under ``folder`` (the lock file aside)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".lock"}


def copy_run(run: Path, tmp_path: Path, name: str = "copy") -> Path:
    """A private copy of a run directory, for cases that damage it."""
    return Path(shutil.copytree(run, tmp_path / name))
