"""Big text files read as a stream of lines: a size limit named in the refusal, a bar with the read rate,
and bytes that are not UTF-8 refused in one line naming the line.

The file is read in blocks of :data:`CHUNK` bytes, decoded incrementally and split at
``\\n`` (C speed, no per-character Python); :func:`text_blocks` yields each block's
complete lines as one string, :func:`line_blocks` as a list, so a reader keeps only
what it parses.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from pathlib import Path

from vaelab.errors import DataError

#: the largest text file read without data.options.max_bytes raised (about 13 million SMILES)
MAX_BYTES = 500_000_000
CHUNK = 1 << 22  # 4 MiB a read
_GZIP_MAGIC = b"\x1f\x8b"


def _size(n: int) -> str:
    """``312.5 MB``: bytes in decimal units, as the progress bar shows them."""
    if n < 1000:
        return f"{n} bytes"
    power = min(3, (len(str(n)) - 1) // 3)  # kB, MB or GB
    return f"{n / 1000 ** power:,.1f} {('kB', 'MB', 'GB')[power - 1]}"


def check_size(path: Path, max_bytes: int, option: str = "data.options.max_bytes") -> int:
    """The file's size in bytes; a file over ``max_bytes`` is refused at once, naming ``option``."""
    size = path.stat().st_size
    if size > max_bytes:
        raise DataError(f"{path} is {_size(size)}, over the limit of {_size(max_bytes)} ({option}={max_bytes}); "
                        f"to read it anyway, raise the limit: --set {option}={size} (data.options.subset=N then "
                        "trains on a sample of N molecules of it)")
    return size


def _not_utf8(path: Path, err: UnicodeDecodeError, lines_before: int, data: bytes) -> DataError:
    """The decode error as one line: which line, which byte, how to fix it."""
    if lines_before == 0 and data.startswith(_GZIP_MAGIC):
        return DataError(f"{path} is gzip-compressed, not text; decompress it first (gunzip -k {path.name})")
    line = lines_before + data.count(b"\n", 0, err.start) + 1
    byte = data[err.start] if err.start < len(data) else 0
    return DataError(f"{path}, line {line}: byte 0x{byte:02x} is not UTF-8 text; save the file as UTF-8 "
                     f"(e.g. iconv -f latin1 -t utf-8 {path.name} > utf8-{path.name})")


def _decode(decoder, block: bytes, path: Path, lines_before: int, final: bool = False) -> str:
    buffered = decoder.getstate()[0]  # the bytes of a character cut by the previous block
    try:
        return decoder.decode(block, final)
    except UnicodeDecodeError as err:
        raise _not_utf8(path, err, lines_before, buffered + block) from None


def split_lines(text: str) -> list[str]:
    """The lines of a block of text, without their line ends (``\n``, or Windows' ``\r\n``)."""
    lines = text.split("\n")
    return [s.removesuffix("\r") for s in lines] if "\r" in text else lines


def text_blocks(path: Path, advance: Callable[[int], None] | None = None, chunk: int = CHUNK) -> Iterator[str]:
    """The file's text (a UTF-8 BOM dropped) in blocks of whole lines, each without its last line end.

    ``advance(n)`` is called with the bytes read after each block (a progress bar's). Line
    ``k`` of a block is line ``before + k`` of the file, ``before`` being the lines of the blocks
    before it (``block.count("\n") + 1`` each).
    """
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    carry, seen = "", 0  # the unfinished last line; lines yielded so far
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            text = carry + _decode(decoder, block, path, seen)
            cut = text.rfind("\n")
            if cut >= 0:
                yield text[:cut]
                seen += text.count("\n", 0, cut) + 1
            carry = text[cut + 1:]
            if advance is not None:
                advance(len(block))
    rest = carry + _decode(decoder, b"", path, seen, final=True)
    if rest:
        yield rest


def line_blocks(path: Path, advance: Callable[[int], None] | None = None,
                chunk: int = CHUNK) -> Iterator[list[str]]:
    """The file's lines (see :func:`text_blocks`), in lists of consecutive lines."""
    return map(split_lines, text_blocks(path, advance, chunk))
