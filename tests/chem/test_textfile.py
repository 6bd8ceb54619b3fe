"""Big text files as streams of lines (vaelab.chem.textfile): blocks, line numbers, the size limit, bad bytes."""

from __future__ import annotations

import gzip
import time

import pytest

from vaelab.chem.textfile import check_size, line_blocks, text_blocks
from vaelab.errors import DataError

TEXT = "\ufeffCCO name\r\n\r\nc1ccccc1\nC(é)N\n\nCCl"  # a BOM, Windows line ends, a 2-byte character, no final \n


def lines_of(path, chunk):
    return [line for block in line_blocks(path, chunk=chunk) for line in block]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1 << 22])  # blocks cut inside \r\n and inside the 2-byte é
def test_lines_are_the_same_whatever_the_block_size(tmp_path, chunk):
    path = tmp_path / "m.smi"
    path.write_bytes(TEXT.encode("utf-8"))
    assert lines_of(path, chunk) == ["CCO name", "", "c1ccccc1", "C(é)N", "", "CCl"]


def test_each_block_holds_whole_lines_and_the_bar_gets_every_byte(tmp_path):
    path = tmp_path / "m.smi"
    path.write_text("".join(f"C{'C' * (i % 7)}\n" for i in range(1000)))
    read = []
    blocks = list(text_blocks(path, read.append, chunk=100))
    assert len(blocks) > 10 and sum(read) == path.stat().st_size
    assert "\n".join(blocks).split("\n") == path.read_text().splitlines()


@pytest.mark.parametrize("chunk", [4, 1 << 22])
def test_a_byte_that_is_not_utf8_names_its_line(tmp_path, chunk):
    path = tmp_path / "m.smi"
    path.write_bytes(b"CCO\nCCN\n\nCC\xffC\nCCC\n")
    with pytest.raises(DataError, match=r"^.*m.smi, line 4: byte 0xff is not UTF-8 text; save the file as UTF-8 "
                                        r"\(e.g. iconv -f latin1 -t utf-8 m.smi > utf8-m.smi\)$"):
        lines_of(path, chunk)


def test_a_gzip_file_is_named_as_such(tmp_path):
    path = tmp_path / "m.smi.gz"
    path.write_bytes(gzip.compress(b"CCO\n" * 10))
    with pytest.raises(DataError, match=r"m.smi.gz is gzip-compressed, not text; decompress it first \(gunzip -k"):
        lines_of(path, 1 << 22)


def test_a_file_over_the_limit_is_refused_naming_the_option(tmp_path):
    path = tmp_path / "m.smi"
    path.write_text("CCO\n" * 500)
    assert check_size(path, 2000) == 2000
    with pytest.raises(DataError, match=r"m.smi is 2.0 kB, over the limit of 1.0 kB \(data.options.max_bytes=1000\); "
                                        r"to read it anyway, raise the limit: --set data.options.max_bytes=2000 "):
        check_size(path, 1000)


def test_reading_is_not_per_character_python(tmp_path):
    """A 4 MB list of SMILES splits into lines at C speed: far above 4 MB/s even on a busy machine."""
    path = tmp_path / "m.smi"
    path.write_text("CC(C)(C)C(=O)C(Oc1ccc(Cl)cc1)n1ccnc1\n" * 110_000)
    t0 = time.perf_counter()
    n = sum(len(block) for block in line_blocks(path))
    assert n == 110_000 and time.perf_counter() - t0 < 1.0
