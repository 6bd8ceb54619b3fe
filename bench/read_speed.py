"""Reading speeds of big inputs: a SMILES list, a SMILES CSV, file hashing, RDKit canonicalisation.

Builds a ~50 MB SMILES list from the MOSES training file (the ``molsets`` package) and the
same molecules as a CSV with a property column, then times (best of 3) vaelab's streamed
reader on each, sha256/md5 of the list (as the download check does), and RDKit
canonicalisation of 20,000 molecules. Each rate is printed beside a reference measured
in the same run, a plain ``open().read()`` of the same file, so a slow disk or a busy
machine shows up as a ratio, not as a wrong figure.

    .venv/bin/python bench/read_speed.py
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

MB = 1 << 20


def best_of(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def make_inputs(folder: Path, size_mb: int) -> tuple[Path, Path, list[str]]:
    from vaelab.chem.sources import read_moses

    smiles = read_moses("train").smiles
    lines, total = [], 0
    while total < size_mb * MB:
        for s in smiles:
            lines.append(s)
            total += len(s) + 1
            if total >= size_mb * MB:
                break
    plain, table = folder / "list.smi", folder / "table.csv"
    plain.write_text("\n".join(lines) + "\n")
    table.write_text("smiles,score\n" + "".join(f"{s},{i % 97 / 10}\n" for i, s in enumerate(lines)))
    return plain, table, lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size-mb", type=int, default=50, help="size of the SMILES list (default 50)")
    args = p.parse_args()
    from vaelab.chem.smiles import canonicalize
    from vaelab.chem.sources import read_smiles_file
    from vaelab.data.download import file_digest

    with tempfile.TemporaryDirectory() as tmp:
        plain, table, lines = make_inputs(Path(tmp), args.size_mb)
        for path, what in ((plain, "SMILES list"), (table, "SMILES CSV (+1 property)")):
            mb = path.stat().st_size / MB
            raw = best_of(lambda: path.read_bytes())
            read = best_of(lambda: read_smiles_file(path), 3 if path is plain else 1)
            print(f"{what:26s} {mb:6.1f} MB  read {read:6.2f} s = {mb / read:7.1f} MB/s   "
                  f"(plain open().read(): {mb / raw:7.0f} MB/s; ratio {raw / read:.3f})")
        mb = plain.stat().st_size / MB
        raw = best_of(lambda: plain.read_bytes())
        for algorithm in ("sha256", "md5"):
            t = best_of(lambda: file_digest(plain, algorithm))
            print(f"{algorithm:26s} {mb:6.1f} MB  {t * 1000:6.0f} ms = {mb / t:7.0f} MB/s   (ratio to read {raw / t:.3f})")
        sample = lines[:20_000]
        t = best_of(lambda: canonicalize(sample), 1)
        print(f"{'RDKit canonicalisation':26s} {len(sample):,} molecules in {t:.2f} s = {len(sample) / t:,.0f} molecules/s")


if __name__ == "__main__":
    main()
