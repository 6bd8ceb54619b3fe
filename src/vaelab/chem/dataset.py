"""From molecules as read to token ids per split: canonicalise, tokenise, build the vocabulary, encode.

Every molecule that does not make it into the ids is counted, per split and per reason
(invalid SMILES, not encodable as SELFIES, longer than ``max_len``), with the first few
line numbers: :meth:`MoleculeSplits.messages` says what was skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ContextManager, Optional, Sequence

import numpy as np

from vaelab.chem.smiles import InvalidReport, canonicalize
from vaelab.chem.tokenize import get_tokenizer
from vaelab.chem.vocab import Vocabulary, longest
from vaelab.progress import counter

SPLITS = ("train", "valid", "test")
_EXAMPLES = 5

#: ``progress(description, total[, kind])`` -> a context yielding ``advance(n)`` (:func:`vaelab.progress.counter`;
#: kind "bytes" for a file read)
Progress = Callable[..., ContextManager[Callable[[int], None]]]


@dataclass
class MoleculePool:
    """Molecules as read from a source: SMILES text, line numbers for reports, a property table."""

    smiles: list[str]
    lines: np.ndarray  # (N,) int64
    properties: np.ndarray  # (N, P) float32; P = 0 without properties
    source: str  # names the source in reports, e.g. the file

    def __len__(self) -> int:
        return len(self.smiles)

    def take(self, idx: np.ndarray) -> "MoleculePool":
        return MoleculePool([self.smiles[i] for i in idx], self.lines[idx], self.properties[idx], self.source)


@dataclass
class MoleculeSplits:
    """Token ids per split, with the canonical SMILES, source lines and properties of each row."""

    tokenizer: str
    vocab: Vocabulary
    max_len: int  # tokens per molecule, without bos/eos; ids have max_len + 2 columns
    x: dict[str, np.ndarray]  # split -> (N, max_len + 2) ids (uint8 or int32)
    smiles: dict[str, list[str]]  # split -> canonical SMILES of each row
    lines: dict[str, np.ndarray]  # split -> (N,) int64 source line of each row
    properties: dict[str, np.ndarray]  # split -> (N, P) float32
    property_names: list[str]
    report: dict  # split -> read, kept, invalid/untokenizable/too_long reports, with_unknown_tokens; notes

    def messages(self) -> list[str]:
        """One line per reason molecules were skipped or changed, and notes on the source; empty when none."""
        out = list(self.report.get("notes", []))
        for split in SPLITS:
            r = self.report[split]
            out += [InvalidReport.from_dict(r[k]).message() for k in ("invalid", "untokenizable", "too_long")
                    if r[k]["count"]]
            if r["with_unknown_tokens"]:
                out.append(f"{split}: {r['with_unknown_tokens']} molecules hold tokens never seen in training, "
                           "encoded as <unk>")
        return out


@dataclass
class _Prepared:
    smiles: list[str]
    lines: np.ndarray
    properties: np.ndarray
    tokens: list[list[str]]

    def keep(self, idx: np.ndarray) -> "_Prepared":
        return _Prepared([self.smiles[i] for i in idx], self.lines[idx], self.properties[idx],
                         [self.tokens[i] for i in idx])


def _report(source: str, total: int, picked: np.ndarray, lines: np.ndarray, texts: Sequence[str],
            reason: str) -> InvalidReport:
    examples = [(int(lines[i]), texts[i]) for i in picked[:_EXAMPLES]]
    return InvalidReport(source, total, int(picked.size), examples, reason)


def _prepare(pool: MoleculePool, split: str, tokenizer, progress: Progress) -> tuple[_Prepared, dict]:
    """Canonicalise and tokenise one split; report what could not be."""
    source = f"{pool.source} ({split})"
    with progress(f"{split}: canonical SMILES", len(pool)) as advance:
        canon = canonicalize(pool.smiles, pool.lines, source, _EXAMPLES, advance)
    with progress(f"{split}: {tokenizer.name} tokens", len(canon.smiles)) as advance:
        tok = tokenizer.tokenize_many(canon.smiles, advance)
    untok = _report(source, len(canon.smiles), tok.failed, canon.lines, canon.smiles, tokenizer.failure_reason)
    ok = np.ones(len(canon.smiles), dtype=bool)  # (n_valid,)
    ok[tok.failed] = False
    keep = np.flatnonzero(ok)  # tok.tokens holds the tokens of these only
    smiles = [canon.smiles[i] for i in keep] if tok.failed.size else canon.smiles
    prep = _Prepared(smiles, canon.lines[keep], pool.properties[canon.kept[keep]], tok.tokens)
    return prep, {"read": len(pool), "invalid": canon.report.to_dict(), "untokenizable": untok.to_dict()}


def _drop_long(prep: _Prepared, max_len: int, source: str) -> tuple[_Prepared, InvalidReport]:
    lengths = np.fromiter((len(t) for t in prep.tokens), dtype=np.int64, count=len(prep.tokens))  # (N,)
    long = np.flatnonzero(lengths > max_len)
    report = _report(source, len(prep.tokens), long, prep.lines, prep.smiles, f"longer than max_len={max_len} tokens")
    return (prep.keep(np.flatnonzero(lengths <= max_len)) if long.size else prep), report


def build_splits(pools: dict[str, MoleculePool], property_names: Sequence[str], tokenizer: str = "smiles",
                 max_len: Optional[int] = None, progress: Optional[Progress] = None) -> MoleculeSplits:
    """Token ids for the ``train``, ``valid`` and ``test`` pools.

    The vocabulary comes from the training tokens only. ``max_len`` defaults to the longest
    molecule of any split, so a ``data.limit`` on training keeps every valid and test
    molecule; with an explicit ``max_len``, longer molecules of any split are dropped and
    reported.
    """
    tok = get_tokenizer(tokenizer)
    progress = progress or (lambda description, total: counter(description, total, enabled=False))
    prepared, report = {}, {}
    for split in SPLITS:
        prepared[split], report[split] = _prepare(pools[split], split, tok, progress)
    vocab = Vocabulary.build(prepared["train"].tokens, tok.name)
    limit = int(max_len) if max_len is not None else max(longest(prepared[s].tokens) for s in SPLITS)
    dtype = np.uint8 if len(vocab) <= 256 else np.int32
    out = MoleculeSplits(tok.name, vocab, limit, {}, {}, {}, {}, list(property_names), report)
    for split in SPLITS:
        prep, too_long = _drop_long(prepared[split], limit, f"{pools[split].source} ({split})")
        x = vocab.encode_array(prep.tokens, limit, dtype=dtype)  # (N, limit + 2)
        out.x[split], out.smiles[split], out.lines[split] = x, prep.smiles, prep.lines
        out.properties[split] = prep.properties.astype(np.float32)
        report[split].update(too_long=too_long.to_dict(), kept=len(prep.smiles),
                             with_unknown_tokens=int((x == vocab.unk_id).any(1).sum()))
    return out
