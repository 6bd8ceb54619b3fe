"""Read molecules from where they live: QM9 in ``qm9pack``, the MOSES split in ``molsets``, a user file.

The packages are found with ``importlib.util.find_spec``, which locates a package without
running it: ``import qm9pack`` needs ``pkg_resources`` and ``import moses`` fails with
current RDKit, but their data files are plain CSV.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import re
from collections.abc import Iterator
from contextlib import closing, nullcontext
from itertools import chain, compress
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from vaelab.chem.dataset import MoleculePool, Progress
from vaelab.chem.textfile import MAX_BYTES, check_size, split_lines, text_blocks
from vaelab.errors import DataError

#: QM9 property name -> (qm9pack CSV column, unit); Ramakrishnan et al. 2014, Sci. Data 1:140022, Table 3
QM9_PROPERTIES = {
    "mu": ("Dipole_debye", "D"),
    "alpha": ("Polarizability_bohr3", "bohr^3"),
    "homo": ("HOMO_au", "Ha"),
    "lumo": ("LUMO_au", "Ha"),
    "gap": ("HOMO_LUMO_gap_au", "Ha"),
    "r2": ("R2_bohr2", "bohr^2"),
    "zpve": ("ZPVE_au", "Ha"),
    "u0": ("InternalEnergy_0K_au", "Ha"),
    "u298": ("InternalEnergy_298K_au", "Ha"),
    "h298": ("Enthalphy_298K_au", "Ha"),  # sic: the CSV's spelling
    "g298": ("GibbsFreeEnergy_298K_au", "Ha"),
    "cv": ("Heatcapacity_Cv_cal_mol_K", "cal/(mol K)"),
}
MOSES_FILES = {"train": "train.csv.gz", "test": "test.csv.gz", "scaffolds": "test_scaffolds.csv.gz"}


def package_dir(module: str, package: str) -> Path:
    """The folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        extra = " --no-deps" if package == "molsets" else ""
        raise DataError(f"this dataset needs the package '{package}': pip install{extra} {package} "
                        "(or install the chem extra: pip install 'vaelab[chem]')")
    return Path(list(spec.submodule_search_locations)[0])


def qm9_files() -> list[Path]:
    """qm9pack's CSV parts, in order (qm9_part1.csv, qm9_part2.csv, ...)."""
    folder = package_dir("qm9pack", "qm9pack") / "data"
    files = sorted(folder.glob("qm9_part*.csv"), key=lambda p: int(re.sub(r"\D", "", p.stem) or 0))
    if not files:
        raise DataError(f"qm9pack is installed but {folder} holds no qm9_part*.csv; reinstall qm9pack")
    return files


def moses_file(split: str) -> Path:
    """One MOSES file shipped in molsets: train, test or scaffolds (the scaffold test set)."""
    path = package_dir("moses", "molsets") / "dataset" / "data" / MOSES_FILES[split]
    if not path.is_file():
        raise DataError(f"molsets is installed but {path} is missing; reinstall it: pip install --no-deps molsets")
    return path


def read_qm9(properties: Sequence[str]) -> MoleculePool:
    """All 130,831 QM9 molecules with the chosen properties; entries are numbered by QM9 index."""
    unknown = [p for p in properties if p not in QM9_PROPERTIES]
    if unknown:
        raise DataError(f"qm9 has no property {', '.join(map(repr, unknown))}; choose from "
                        f"{', '.join(QM9_PROPERTIES)} (data.options.properties)")
    wanted = ["Index", "SMILES"] + [QM9_PROPERTIES[p][0] for p in properties]
    columns: list[list[str]] = [[] for _ in wanted]
    for path in qm9_files():
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            at = _column_positions(next(reader), wanted, path)
            for row in reader:
                for col, i in zip(columns, at):
                    col.append(row[i])
    props = np.asarray(columns[2:], dtype=np.float64).T.reshape(len(columns[1]), len(properties))  # (N, P)
    return MoleculePool(columns[1], np.asarray(columns[0], dtype=np.int64), props.astype(np.float32),
                        "QM9 (qm9pack; lines are QM9 indices)")


def _column_positions(header: list[str], wanted: Sequence[str], path: Path) -> list[int]:
    missing = [c for c in wanted if c not in header]
    if missing:
        raise DataError(f"{path} lacks the column(s) {', '.join(missing)}; reinstall the package that ships it")
    return [header.index(c) for c in wanted]


def read_moses(split: str) -> MoleculePool:
    """One MOSES file: a ``SMILES`` header, then one molecule per line (numbered from 2)."""
    path = moses_file(split)
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    if lines[0].strip().split(",")[0] != "SMILES":
        raise DataError(f"{path} does not start with a SMILES header; reinstall: pip install --no-deps molsets")
    smiles = [s.split(",")[0].strip() for s in lines[1:]]
    numbers = np.arange(2, len(smiles) + 2)
    keep = [i for i, s in enumerate(smiles) if s]  # the final newline leaves one empty entry
    return MoleculePool([smiles[i] for i in keep], numbers[keep], np.zeros((len(keep), 0), np.float32),
                        f"MOSES {path.name}")


# ---------------------------------------------------------------- the user's file

def read_smiles_file(path: Path, smiles_column: str | None = None, properties: Sequence[str] | None = None,
                     max_bytes: int = MAX_BYTES, progress: Progress | None = None
                     ) -> tuple[MoleculePool, list[str], list[str]]:
    """A CSV/TSV with a SMILES column (and property columns), or one SMILES per line.

    Returns the pool, the property names, and notes on what was not carried (columns, header and blank lines).
    ``properties=None`` carries every column whose values are all finite numbers, except row ids
    (``index``, ``id``, pandas' ``Unnamed: 0``, ...), which are carried only when named.
    The file is streamed (:func:`~vaelab.chem.textfile.text_blocks`) under a bar of the bytes read and their
    rate (``progress(description, total, kind)``, :func:`vaelab.progress.counter`); a file over ``max_bytes``
    is refused at once, naming ``data.options.max_bytes``.
    """
    size = check_size(path, max_bytes)
    opened = progress(f"reading {path.name}", size, "bytes") if progress else nullcontext(None)
    with opened as advance, closing(text_blocks(path, advance)) as blocks:
        first, stream = _first_line(blocks)
        delimiter = "\t" if ("\t" in first or path.suffix == ".tsv") else ","
        header = next(csv.reader([first], delimiter=delimiter), [])
        column = _smiles_column(header, smiles_column, path)
        if column is None:
            pool, notes = _read_plain(stream, path)
            return pool, [], notes
        header, rows, lines, (read, blank) = _read_rows(stream, path, delimiter)
    pool, names, notes = _table(rows, lines, header, column, properties, path)
    return pool, names, _skipped_note(path, read, len(rows), 1, blank) + notes


def _first_line(blocks: Iterator[str]) -> tuple[str, Iterator[str]]:
    """The first non-blank line, and the blocks of text again from the start (those looked at put back)."""
    seen = []
    for text in blocks:
        seen.append(text)
        first = next((line for line in split_lines(text) if line.strip()), "")
        if first:
            return first, chain(seen, blocks)
    return "", chain(seen, blocks)


def _smiles_column(header: list[str], name: Optional[str], path: Path) -> Optional[str]:
    """The SMILES column's name, or None for a plain list of SMILES."""
    if name is not None:
        if name not in header:
            raise DataError(f"{path}: no column '{name}' in the header ({', '.join(header)}); "
                            "set data.options.smiles_column to one of them")
        return name
    exact = [h for h in header if h.strip().lower() == "smiles"]
    if exact:
        return exact[0]
    if len(header) > 1:
        raise DataError(f"{path}: none of the columns ({', '.join(header)}) is called 'smiles'; "
                        "set data.options.smiles_column=NAME")
    return None


def _read_plain(blocks: Iterator[str], path: Path) -> tuple[MoleculePool, list[str]]:
    """One SMILES per line; anything after the first whitespace (a name) is ignored; blank lines skipped.

    A first line ``smiles`` (any case) is a header. The note counts what was skipped.
    """
    smiles, numbers, at, header = [], [], 0, 0  # at: lines before this block
    for text in blocks:
        lines = split_lines(text)
        firsts = lines if (" " not in text and "\t" not in text) else [_first_field(line) for line in lines]
        present = np.fromiter(map(len, firsts), dtype=np.int64, count=len(firsts)) > 0  # (lines,)
        if at == 0 and firsts[0].lower() == "smiles":
            present[0], header = False, 1
        smiles += compress(firsts, present)
        numbers.append(np.flatnonzero(present) + at + 1)
        at += len(lines)
    lines = np.concatenate(numbers) if numbers else np.zeros(0, dtype=np.int64)
    pool = MoleculePool(smiles, lines, np.zeros((len(smiles), 0), np.float32), path.name)
    return pool, _skipped_note(path, at, len(smiles), header, at - len(smiles) - header)


def _first_field(line: str) -> str:
    """The text before the first whitespace (a SMILES before its name); "" for a blank line."""
    fields = line.split(None, 1)
    return fields[0] if fields else ""


def _skipped_note(path: Path, read: int, kept: int, header: int, blank: int) -> list[str]:
    """``x.smi: 12,345 lines read, 12,300 entries kept; skipped 1 header line and 44 blank line(s)``; [] when no
    line was blank."""
    if not blank:
        return []
    head = "1 header line and " if header else ""
    return [f"{path.name}: {read:,} lines read, {kept:,} entries kept; skipped {head}{blank:,} blank line(s)"]


def _read_rows(blocks: Iterator[str], path: Path, delimiter: str
               ) -> tuple[list[str], list[list[str]], np.ndarray, tuple[int, int]]:
    """The header, the rows under it (blank lines skipped), their line numbers, and the lines read and blank; a row
    of the wrong width is refused."""
    reader = csv.reader(chain.from_iterable(map(split_lines, blocks)), delimiter=delimiter)
    header = next((row for row in reader if row), [])
    rows, numbers, blank = [], [], reader.line_num - 1  # blank lines above the header
    for row in reader:
        if not row or not "".join(row).strip():
            blank += 1
            continue
        if len(row) != len(header):
            raise DataError(f"{path}, line {reader.line_num}: {len(row)} fields where the header has "
                            f"{len(header)}; fix that line (quote fields that contain '{delimiter}')")
        rows.append(row)
        numbers.append(reader.line_num)
    return header, rows, np.asarray(numbers, dtype=np.int64), (reader.line_num, blank)


def _table(rows: list[list[str]], lines: np.ndarray, header: list[str], column: str,
           properties: Sequence[str] | None, path: Path) -> tuple[MoleculePool, list[str], list[str]]:
    """The SMILES column and the property table of the rows read."""
    cells = np.asarray(rows, dtype=object).reshape(len(rows), len(header))  # (N, columns) of str
    names, table, notes = _properties(cells, header, column, properties, lines, path)
    smiles = [s.strip() for s in cells[:, header.index(column)]]
    return MoleculePool(smiles, lines, table, path.name), names, notes


def _properties(cells: np.ndarray, header: list[str], column: str, wanted: Optional[Sequence[str]],
                lines: np.ndarray, path: Path) -> tuple[list[str], np.ndarray, list[str]]:
    """The property columns as a float32 table (N, P); auto mode skips non-numeric columns, with a note."""
    explicit = wanted is not None
    if explicit:
        missing = [p for p in wanted if p not in header]
        if missing:
            raise DataError(f"{path}: no property column(s) {', '.join(missing)} (columns: {', '.join(header)})")
    names, values, notes = [], [], []
    for name in (wanted if explicit else [h for h in header if h != column]):
        col = _numeric(cells[:, header.index(name)])
        if col is None or not np.isfinite(col).all():
            bad = _first_bad(cells[:, header.index(name)], col)
            if explicit:
                raise DataError(f"{path}, line {lines[bad]}: property '{name}' is {cells[bad, header.index(name)]!r}, "
                                "not a finite number; fix the value or leave the column out of data.options.properties")
            notes.append(f"column '{name}' is not a finite number on every line (line {lines[bad]}); "
                         "not carried as a property")
            continue
        if not explicit and _is_index(name):  # a row id, not a property: left out unless named
            continue
        names.append(name)
        values.append(col)
    table = np.stack(values, 1) if values else np.zeros((len(cells), 0))
    return names, table.astype(np.float32), notes


_INDEX_NAMES = {"", "index", "idx", "id", "unnamed: 0", "row", "#"}


def _is_index(name: str) -> bool:
    """A row-id column by its name (``index``, ``id``, pandas' ``Unnamed: 0``, ...): not a molecular property."""
    return name.strip().lower() in _INDEX_NAMES


def _numeric(col: np.ndarray) -> Optional[np.ndarray]:
    try:
        return np.asarray([c.strip() for c in col], dtype=str).astype(np.float64)  # (N,)
    except ValueError:
        return None


def _first_bad(col: np.ndarray, parsed: Optional[np.ndarray]) -> int:
    if parsed is not None:
        return int(np.flatnonzero(~np.isfinite(parsed))[0])
    for i, c in enumerate(col):  # only on the error path
        try:
            if np.isfinite(float(c)):
                continue
        except ValueError:
            pass
        return i
    return 0
