"""Token <-> id maps with pad/bos/eos/unk, saved as JSON in the run directory.

A molecule of n tokens is stored as ``bos t1 ... tn eos pad ... pad``: ids of fixed length
``L = max_len + 2``. ``pad`` is id 0, so ``(x != 0).sum(1)`` is each sequence's length
including bos and eos.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional, Sequence

import numpy as np
import torch

from vaelab.errors import DataError

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS = (PAD, BOS, EOS, UNK)  # ids 0, 1, 2, 3
_FORMAT = "vaelab-vocabulary"


class Vocabulary:
    """Tokens in a fixed order: the four specials, then the training tokens sorted."""

    pad_id, bos_id, eos_id, unk_id = 0, 1, 2, 3

    def __init__(self, tokens: Sequence[str], tokenizer: str = "smiles"):
        if tuple(tokens[:4]) != SPECIALS:
            raise ValueError(f"a vocabulary starts with {SPECIALS}; got {tuple(tokens[:4])}")
        if len(set(tokens)) != len(tokens):
            raise ValueError("a vocabulary's tokens must be distinct")
        self.tokens = list(tokens)
        self.tokenizer = tokenizer
        self.index = {t: i for i, t in enumerate(self.tokens)}

    @classmethod
    def build(cls, token_lists: Iterable[Sequence[str]], tokenizer: str = "smiles") -> "Vocabulary":
        """Every distinct token of the training molecules, sorted, after the specials."""
        seen: set[str] = set()
        for tokens in token_lists:
            seen.update(tokens)
        return cls(list(SPECIALS) + sorted(seen - set(SPECIALS)), tokenizer)

    def __len__(self) -> int:
        return len(self.tokens)

    def __eq__(self, other) -> bool:
        return isinstance(other, Vocabulary) and (self.tokens, self.tokenizer) == (other.tokens, other.tokenizer)

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} tokens, tokenizer={self.tokenizer!r})"

    # ------------------------------------------------------------ ids

    def encode(self, token_lists: Sequence[Sequence[str]], max_len: int) -> torch.Tensor:
        """Token lists -> int64 ids (N, max_len + 2): bos, the tokens, eos, then pad.

        Unknown tokens become ``unk``. A list longer than ``max_len`` is an error: drop or
        report long molecules before encoding (the molecule datasets do).
        """
        return torch.from_numpy(self.encode_array(token_lists, max_len).astype(np.int64))

    def encode_array(self, token_lists: Sequence[Sequence[str]], max_len: int,
                     dtype=np.int64) -> np.ndarray:
        """As :meth:`encode`, as a NumPy array of ``dtype``; one flat pass, no per-row writes."""
        lengths = np.fromiter((len(t) for t in token_lists), dtype=np.int64, count=len(token_lists))  # (N,)
        if lengths.size and int(lengths.max()) > max_len:
            n_long = int((lengths > max_len).sum())
            raise DataError(f"{n_long} token sequences are longer than max_len={max_len} (the longest has "
                            f"{int(lengths.max())}); raise max_len or drop them before encoding")
        get, unk = self.index.get, self.unk_id
        flat = np.fromiter((get(t, unk) for tokens in token_lists for t in tokens), dtype=np.int64,
                           count=int(lengths.sum()))  # (sum of lengths,)
        out = np.full((len(lengths), max_len + 2), self.pad_id, dtype=dtype)  # (N, L)
        rows = np.repeat(np.arange(len(lengths)), lengths)  # (sum of lengths,)
        starts = np.cumsum(lengths) - lengths  # (N,)
        cols = np.arange(flat.size) - np.repeat(starts, lengths) + 1  # (sum of lengths,) after bos
        out[:, 0] = self.bos_id
        out[rows, cols] = flat
        out[np.arange(len(lengths)), lengths + 1] = self.eos_id
        return out

    def decode_tokens(self, ids) -> list[list[str]]:
        """ids (N, L) -> the tokens of each row, up to the first eos or pad (rows may start with bos or not).

        bos is dropped wherever it stands; ``unk`` decodes as the text ``<unk>``.
        """
        arr = np.asarray(ids.detach().cpu() if isinstance(ids, torch.Tensor) else ids, dtype=np.int64)
        if arr.ndim != 2:
            raise ValueError(f"decode expects ids of shape (N, L); got {arr.shape}")
        if arr.size and (arr.min() < 0 or arr.max() >= len(self)):
            raise DataError(f"token ids must lie in [0, {len(self)}); got {arr.min()}..{arr.max()}")
        stop = (arr == self.eos_id) | (arr == self.pad_id)  # (N, L)
        ends = np.where(stop.any(1), stop.argmax(1), arr.shape[1])  # (N,) first stop, else the full length
        names = np.asarray(self.tokens, dtype=object)
        return [[t for t in names[row[:end]] if t != BOS] for row, end in zip(arr, ends)]

    def decode(self, ids) -> list[str]:
        """ids (N, L) -> one joined string per row (SMILES or SELFIES, by the tokenizer)."""
        return ["".join(tokens) for tokens in self.decode_tokens(ids)]

    # ------------------------------------------------------------ files

    def to_dict(self) -> dict:
        return {"format": _FORMAT, "version": 1, "tokenizer": self.tokenizer, "tokens": list(self.tokens)}

    @classmethod
    def from_dict(cls, d: dict) -> "Vocabulary":
        if not isinstance(d, dict) or d.get("format") != _FORMAT or not isinstance(d.get("tokens"), list):
            raise DataError("not a vaelab vocabulary (expected a JSON object with format "
                            f"'{_FORMAT}' and a token list); rebuild it by loading the dataset again")
        try:
            return cls(d["tokens"], d.get("tokenizer", "smiles"))
        except ValueError as err:
            raise DataError(f"corrupt vocabulary: {err}; rebuild it by loading the dataset again") from None

    def save(self, path) -> None:
        """Write the vocabulary as JSON, atomically (the run directory's ``vocabulary.json``)."""
        from vaelab.fileio import write_json

        write_json(path, self.to_dict())

    @classmethod
    def load(cls, path) -> "Vocabulary":
        import json

        path = Path(path)
        try:
            return cls.from_dict(json.loads(path.read_text()))
        except FileNotFoundError:
            raise DataError(f"vocabulary file not found: {path}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise DataError(f"cannot read the vocabulary {path} ({err}); rebuild it by loading the dataset "
                            "again") from None


def longest(token_lists: Sequence[Sequence[str]]) -> int:
    """The number of tokens of the longest list (0 for none)."""
    return max((len(t) for t in token_lists), default=0)


def as_vocabulary(v: "Vocabulary | dict | Optional[str]") -> "Vocabulary":
    """A Vocabulary from itself or from its dict (as a DataBundle's ``info['vocabulary']`` holds it)."""
    if isinstance(v, Vocabulary):
        return v
    if isinstance(v, dict):
        return Vocabulary.from_dict(v)
    raise DataError("this dataset has no vocabulary; token data comes from the molecule datasets "
                    "(qm9, zinc, smiles)")
