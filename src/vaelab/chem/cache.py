"""A built molecule dataset on disk: NumPy arrays, JSON and text, no pickle.

Canonicalising and tokenising is the slow part of loading molecules (RDKit parses one
molecule per call: about 20,000 QM9 or 7,000 ZINC molecules a second on one core), so
the result is kept under ``$VAELAB_CACHE/molecules/<dataset>-<key>/``, where ``key``
hashes everything the result depends on (source, options, split, limit, and the RDKit
and SELFIES versions, since canonical SMILES may change between RDKit releases).

Folder layout::

    meta.json            tokenizer, vocabulary, max_len, property names, report, the key's inputs
    arrays.npz           x_<split> (N, L) ids, lines_<split> (N,), properties_<split> (N, P)
    smiles_<split>.txt   canonical SMILES, one per line, in row order
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Optional

import numpy as np

from vaelab.chem.dataset import SPLITS, MoleculeSplits
from vaelab.chem.vocab import Vocabulary
from vaelab.errors import VaelabError
from vaelab.fileio import publish_folder

FORMAT_VERSION = 2  # 2: max_len defaults to the longest molecule of any split, not of training


def package_version(package: str) -> Optional[str]:
    """The installed version of ``package``, None when it is not installed."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def cache_folder(cache_dir: Path, dataset: str, parts: dict) -> Path:
    """Where the dataset built from ``parts`` (a JSON-able dict of its inputs) is kept."""
    parts = {**parts, "format": FORMAT_VERSION, "rdkit": package_version("rdkit"), "selfies": package_version("selfies")}
    key = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in dataset)  # zinc:250k -> zinc-250k
    return Path(cache_dir) / "molecules" / f"{safe}-{key}"


def save(folder: Path, data: MoleculeSplits, parts: dict) -> None:
    """Write ``data`` into ``folder`` all at once: a folder of a unique name, renamed into place.

    Two processes building the same dataset each write their own folder; the first
    renamed into place is kept (both hold the same content), and a stale or damaged copy
    is replaced (:func:`vaelab.fileio.publish_folder`).
    """
    publish_folder(folder, lambda tmp: _write(tmp, data, parts), complete=lambda f: load(f) is not None)


def _write(tmp: Path, data: MoleculeSplits, parts: dict) -> None:
    """The files of a built dataset, into the (temporary) folder ``tmp``."""
    arrays = {}
    for split in SPLITS:
        arrays.update({f"x_{split}": data.x[split], f"lines_{split}": data.lines[split],
                       f"properties_{split}": data.properties[split]})
        (tmp / f"smiles_{split}.txt").write_text("\n".join(data.smiles[split]), encoding="utf-8")
    np.savez(tmp / "arrays.npz", **arrays)
    meta = {"tokenizer": data.tokenizer, "vocabulary": data.vocab.to_dict(), "max_len": data.max_len,
            "property_names": data.property_names, "report": data.report, "inputs": parts}
    (tmp / "meta.json").write_text(json.dumps(meta, indent=1, default=str), encoding="utf-8")


def load(folder: Path) -> Optional[MoleculeSplits]:
    """The dataset kept in ``folder``; None when it is absent or unreadable (it is then rebuilt)."""
    if not (folder / "meta.json").is_file():
        return None
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        with np.load(folder / "arrays.npz", allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        smiles = {s: _read_lines(folder / f"smiles_{s}.txt") for s in SPLITS}
        data = MoleculeSplits(meta["tokenizer"], Vocabulary.from_dict(meta["vocabulary"]), int(meta["max_len"]),
                              {s: arrays[f"x_{s}"] for s in SPLITS}, smiles,
                              {s: arrays[f"lines_{s}"] for s in SPLITS},
                              {s: arrays[f"properties_{s}"] for s in SPLITS}, list(meta["property_names"]),
                              meta["report"])
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, VaelabError):  # damaged: rebuild
        return None
    if any(len(data.smiles[s]) != len(data.x[s]) for s in SPLITS):
        return None
    return data


def _read_lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return text.split("\n") if text else []
