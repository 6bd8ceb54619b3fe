"""Molecule datasets: ``qm9``, ``zinc`` (MOSES; ``zinc:250k`` and ``zinc:50k`` subsets) and ``smiles`` (yours).

QM9: Ramakrishnan et al. 2014, Sci. Data 1:140022 (no official split: cut with the split seed).
ZINC: the MOSES benchmark split (Polykovskiy et al. 2020, Front. Pharmacol. 11:565644): its
train file (valid held out of it with the split seed) and its test or scaffold-test file.

Each loads as token ids (kind ``tokens``, event shape ``(max_len + 2,)``: bos, tokens, eos,
pad) plus, in the bundle's ``info``, everything a molecule run needs besides the ids:

================  ======================================================================
key               value
================  ======================================================================
tokenizer         ``smiles`` or ``selfies``
vocabulary        :class:`~vaelab.chem.vocab.Vocabulary` as a dict (``Vocabulary.from_dict``)
max_len           tokens per molecule without bos/eos
smiles            split -> canonical SMILES of each row of ``x``
properties        split -> float32 array (N, P), columns named by ``property_names``
property_names    list of P names; ``property_units`` maps them to units where known
score             the property served as each split's ``score`` (None: no score)
source_lines      split -> int64 array (N,): the line (QM9: the index) each row came from
report            split -> read / kept counts and what was skipped, why, with line numbers
messages          one line per reason molecules were skipped (also issued as a warning)
summary           one line describing the dataset, for the CLI
source, cache     where the molecules came from; the cache folder of the built dataset
================  ======================================================================

The slow step (RDKit canonicalisation, tokenising) runs once per dataset and option set;
the result is cached (:mod:`vaelab.chem.cache`). Requires the chem extra.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from vaelab.chem import cache
from vaelab.chem.dataset import SPLITS, MoleculePool, MoleculeSplits, Progress, build_splits
from vaelab.chem.deps import CHEM_EXTRA_HINT, chem_available
from vaelab.chem.sources import QM9_PROPERTIES, package_dir, read_moses, read_qm9, read_smiles_file
from vaelab.chem.textfile import MAX_BYTES, check_size
from vaelab.chem.tokenize import TOKENIZERS
from vaelab.data.registry import LoadContext, RawDataset, register_dataset
from vaelab.data.splits import split_indices
from vaelab.errors import DataError
from vaelab.progress import counter

_COMMON = {"tokenizer": "smiles", "max_len": None, "subset": None}
QM9_OPTIONS = {**_COMMON, "properties": None, "score": "gap"}
ZINC_OPTIONS = {**_COMMON, "test_set": "test"}
SMILES_OPTIONS = {**_COMMON, "path": None, "valid_path": None, "test_path": None, "smiles_column": None,
                  "properties": None, "score": "auto", "max_bytes": MAX_BYTES}


# ---------------------------------------------------------------- options

def parse_count(value: Any, what: str) -> Optional[int]:
    """None, a positive integer, or a string such as ``250k`` / ``1.5M``."""
    if value is None:
        return None
    number = value
    if isinstance(value, str):
        scale = {"k": 1_000, "m": 1_000_000}.get(value[-1:].lower(), 1)
        try:
            number = float(value[:-1] if scale > 1 else value) * scale
        except ValueError:
            number = None
    ok = isinstance(number, (int, float)) and not isinstance(number, bool) and 1 <= number < float("inf")
    if not ok or number != int(number):
        raise DataError(f"option {what}={value!r}: must be a positive whole number (e.g. 50000 or '50k')")
    return int(number)


def _common_options(o: dict) -> tuple[str, Optional[int], Optional[int]]:
    if o["tokenizer"] not in TOKENIZERS:
        raise DataError(f"option tokenizer={o['tokenizer']!r}: choose {' or '.join(TOKENIZERS)}")
    return o["tokenizer"], parse_count(o["max_len"], "max_len"), parse_count(o["subset"], "subset")


def _property_list(value: Any) -> Optional[list[str]]:
    """None (all), a list of names, or a comma-separated string of names."""
    if value is None:
        return None
    names = value.split(",") if isinstance(value, str) else value
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise DataError(f"option properties={value!r}: give a list of column names, e.g. [gap, homo]")
    return [n.strip() for n in names if n.strip()]


def _require_chem(dataset: str) -> None:
    if not chem_available():
        raise DataError(f"dataset '{dataset}' needs RDKit and SELFIES; {CHEM_EXTRA_HINT}")


# ---------------------------------------------------------------- splits

def subset(pool: MoleculePool, n: Optional[int], seed: int) -> MoleculePool:
    """A seeded random sample of ``n`` molecules, in file order (all of them when n is None or larger)."""
    if n is None or n >= len(pool):
        return pool
    return pool.take(np.sort(np.random.default_rng([seed, 1]).choice(len(pool), n, replace=False)))


def cut(pool: MoleculePool, ctx: LoadContext, official: dict[str, MoleculePool]) -> dict[str, MoleculePool]:
    """train/valid/test: the official pools where given, the rest cut from ``pool`` with the split seed.

    ``data.limit`` keeps the first N training molecules, as for every dataset.
    """
    vf = 0.0 if "valid" in official else ctx.valid_fraction
    tf = 0.0 if "test" in official else ctx.test_fraction
    idx = split_indices(len(pool), vf, tf, ctx.split_seed)
    pools = {s: official[s] if s in official else pool.take(idx[s]) for s in SPLITS}
    if ctx.limit is not None and ctx.limit < len(pools["train"]):
        pools["train"] = pools["train"].take(np.arange(ctx.limit))
    return pools


# ---------------------------------------------------------------- building, caching, the bundle

def _stages(title: str, enabled: bool = True) -> Progress:
    """``progress(description, total[, kind])`` for reading and :func:`~vaelab.chem.dataset.build_splits`: one bar
    (or log line) a stage; ``enabled=False`` silences them (``--no-progress``)."""
    return lambda description, total, kind="steps": counter(f"{title}: {description}", total, enabled, kind=kind)


def _build_or_load(ctx: LoadContext, dataset: str, key: dict,
                   read: Callable[[Progress], tuple[dict[str, MoleculePool], list[str], list[str]]]
                   ) -> tuple[MoleculeSplits, Path]:
    """The cached dataset for ``key``; built and cached when absent.

    ``read(progress)`` returns the train/valid/test pools, the property names and notes on the
    source (kept with the dataset, so a cached load says them again); it shows its own
    progress (``progress("reading", None)`` for a source that does not count).
    """
    tokenizer, max_len, _ = _common_options(ctx.options)
    key = {**key, "dataset": dataset, "tokenizer": tokenizer, "max_len": max_len, "limit": ctx.limit,
           "split": [ctx.valid_fraction, ctx.test_fraction, ctx.split_seed]}
    folder = cache.cache_folder(ctx.cache_dir, dataset, key)
    data = cache.load(folder)
    if data is None:
        progress = _stages(f"building {dataset} (cached once)", ctx.progress)
        pools, names, notes = read(progress)
        data = build_splits(pools, names, tokenizer, max_len, progress)
        data.report["notes"] = notes
        if len(data.x["train"]) == 0:
            source = f" of {ctx.options['path']}" if ctx.options.get("path") else ""
            raise DataError(f"dataset '{dataset}'{source}: no training molecules left ("
                            f"{(data.messages() or ['the source is empty'])[0][:300]}); give a file with more "
                            "valid molecules")
        cache.save(folder, data, key)
    return data, folder


def _score_index(score: Any, names: list[str], dataset: str) -> Optional[int]:
    if score in (None, "none"):
        return None
    if score == "auto":
        return 0 if names else None
    if score not in names:
        raise DataError(f"dataset '{dataset}': option score={score!r} is not among its properties "
                        f"({', '.join(names) or 'none'}); choose one, or score=none")
    return names.index(score)


def to_raw(data: MoleculeSplits, dataset: str, folder: Path, source: str, score: Any = None,
           units: Optional[dict] = None) -> RawDataset:
    """The built dataset as the registry's RawDataset: ids per split, everything else in ``info``."""
    col = _score_index(score, data.property_names, dataset)
    splits = {s: (data.x[s], None, None if col is None else data.properties[s][:, col]) for s in SPLITS}
    messages = data.messages()
    sizes = "/".join(f"{len(data.x[s]):,}" for s in SPLITS)
    summary = (f"{dataset}: {sizes} train/valid/test molecules, {data.tokenizer} tokens, max_len "
               f"{data.max_len}, vocabulary {len(data.vocab)}" + (f"; {len(messages)} note(s)" if messages else ""))
    if messages:
        warnings.warn(f"{dataset}: " + "; ".join(messages), stacklevel=3)
    info = {"source": source, "tokenizer": data.tokenizer, "vocabulary": data.vocab.to_dict(),
            "max_len": data.max_len, "smiles": data.smiles, "properties": data.properties,
            "property_names": data.property_names, "property_units": dict(units or {}),
            "score": None if col is None else data.property_names[col], "source_lines": data.lines,
            "report": data.report, "messages": messages, "summary": summary, "cache": str(folder)}
    return RawDataset("tokens", (data.max_len + 2,), splits, info)


# ---------------------------------------------------------------- qm9

def _package_status(module: str, package: str) -> str:
    try:
        package_dir(module, package)
    except DataError:
        return f"missing: {CHEM_EXTRA_HINT}"
    return f"embedded ({package} package)" if chem_available() else f"needs RDKit: {CHEM_EXTRA_HINT}"


@register_dataset("qm9", "QM9: 130,831 small molecules (up to 9 heavy atoms) with 12 quantum properties, as "
                  "SMILES/SELFIES tokens (options: tokenizer, max_len, properties, score, subset)",
                  lambda ctx: _package_status("qm9pack", "qm9pack"), options=QM9_OPTIONS)
def load_qm9(ctx: LoadContext) -> RawDataset:
    _require_chem("qm9")
    o = ctx.options
    names = _property_list(o["properties"])
    names = list(QM9_PROPERTIES) if names is None else names
    _, _, n = _common_options(o)

    def read(progress):
        with progress("reading", None):
            return cut(subset(read_qm9(names), n, ctx.split_seed), ctx, {}), names, []

    key = {"qm9pack": cache.package_version("qm9pack"), "properties": names, "subset": n}
    data, folder = _build_or_load(ctx, "qm9", key, read)
    units = {p: QM9_PROPERTIES[p][1] for p in names}
    return to_raw(data, "qm9", folder, "qm9pack (Ramakrishnan et al. 2014)", o["score"], units)


# ---------------------------------------------------------------- zinc (MOSES)

def _moses_pools(ctx: LoadContext, n: Optional[int], test_set: str) -> dict[str, MoleculePool]:
    """MOSES train (valid held out of it) and test; a subset keeps MOSES's train:test proportion."""
    train, test = read_moses("train"), read_moses(test_set)
    if n is not None and n < len(train):
        test = subset(test, max(1, round(len(test) * n / len(train))), ctx.split_seed)
        train = subset(train, n, ctx.split_seed)
    return cut(train, ctx, {"test": test})


def load_zinc(ctx: LoadContext) -> RawDataset:
    _require_chem("zinc")
    o = ctx.options
    if o["test_set"] not in ("test", "scaffolds"):
        raise DataError(f"zinc option test_set={o['test_set']!r}: choose test or scaffolds")
    _, _, n = _common_options(o)
    key = {"molsets": cache.package_version("molsets"), "subset": n, "test_set": o["test_set"]}
    def read(progress):
        with progress("reading", None):
            return _moses_pools(ctx, n, o["test_set"]), [], []

    data, folder = _build_or_load(ctx, "zinc", key, read)
    part = f"{n:,} training molecules" if n is not None else "all training molecules"
    return to_raw(data, "zinc", folder, f"MOSES (molsets): {part}, test set: {o['test_set']}")


_ZINC_OPTIONS_NOTE = "options: tokenizer, max_len, subset, test_set"
for _name, _n, _description in [
        ("zinc", None, "ZINC drug-like molecules, the MOSES split: 1.58M train (valid held out of it), 176k test, "
                       f"as SMILES/SELFIES tokens ({_ZINC_OPTIONS_NOTE})"),
        ("zinc:250k", 250_000, "zinc with 250,000 of the MOSES training molecules, test cut in proportion"),
        ("zinc:50k", 50_000, "zinc with 50,000 of the MOSES training molecules, test cut in proportion")]:
    register_dataset(_name, _description, lambda ctx: _package_status("moses", "molsets"),
                     options={**ZINC_OPTIONS, "subset": _n})(load_zinc)


# ---------------------------------------------------------------- smiles (the user's file)

def _user_file(ctx: LoadContext, option: str) -> Path:
    """The file an option names; relative paths are tried from the cwd, then the data dir."""
    path = Path(str(ctx.options[option])).expanduser()
    candidates = [path] if path.is_absolute() or ctx.data_dir is None else [path, ctx.data_dir / path]
    for p in candidates:
        if p.is_file():
            return p
    raise DataError(f"dataset 'smiles': option {option}: file not found: "
                    f"{' or '.join(str(p.absolute()) for p in candidates)}")


def _file_key(path: Path) -> list:
    st = path.stat()
    return [str(path.resolve()), st.st_size, st.st_mtime_ns]


@register_dataset("smiles", "your own molecules: a CSV/TSV with a SMILES column and optional property columns, "
                  "or one SMILES per line (options: path, smiles_column, properties, score, tokenizer, max_len, "
                  "subset, valid_path, test_path, max_bytes)", "user file (option path)", options=SMILES_OPTIONS)
def load_smiles(ctx: LoadContext) -> RawDataset:
    _require_chem("smiles")
    o = ctx.options
    if not o["path"]:
        raise DataError("dataset 'smiles' needs the option 'path' (e.g. data.options.path=molecules.csv)")
    files = {s: _user_file(ctx, opt) for s, opt in [("train", "path"), ("valid", "valid_path"),
                                                    ("test", "test_path")] if o[opt]}
    wanted, (_, _, n) = _property_list(o["properties"]), _common_options(o)
    max_bytes = parse_count(o["max_bytes"], "max_bytes")
    for path in files.values():  # a file over the limit is refused at once, before a cached build is looked for
        check_size(path, max_bytes)

    def read(progress):
        pool, names, notes = read_smiles_file(files["train"], o["smiles_column"], wanted, max_bytes, progress)
        # valid/test files must carry the training file's property columns
        official = {s: read_smiles_file(p, o["smiles_column"], names, max_bytes, progress)[0]
                    for s, p in files.items() if s != "train"}
        return cut(subset(pool, n, ctx.split_seed), ctx, official), names, notes

    key = {"files": {s: _file_key(p) for s, p in files.items()}, "smiles_column": o["smiles_column"],
           "properties": wanted, "subset": n}
    data, folder = _build_or_load(ctx, "smiles", key, read)
    return to_raw(data, "smiles", folder, str(files["train"]), o["score"])
