"""vaelab's MOSES metrics against MOSES' own code, and their cost: the numbers of docs/molecules.md ("MOSES metrics").

Reference: the first 10,000 molecules of the MOSES test set; "generated": the first 800
molecules of the MOSES training set plus the 200 QM9 molecules of tests/chem/fixtures
(so that some fail the filters and some have no ring). Both ship with the ``molsets``
package (installed with ``--no-deps``). For each of SNN, Frag, Scaf, Filters and the
Wasserstein-1 distances of logP, QED, SA and weight, the script prints vaelab's figure,
the figure of ``moses.metrics`` (the code behind Polykovskiy et al. 2020) on the same
molecules, and the wall time of vaelab's side, on one thread.

moses 0.3.1 does not import with today's packages; for this comparison only, three
shims are put in place first: ``DataFrame.append`` (removed in pandas 2), ``np.NaN``
(removed in NumPy 2) and ``rdkit.six`` (removed from RDKit; its SA scorer imports it).

    OMP_NUM_THREADS=1 python docs/experiments/moses_metrics_check.py
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import pickle
import sys
import time
import types
from pathlib import Path

import numpy as np

from vaelab.chem.filters import filter_source, passes_filters
from vaelab.chem.metrics import sample_metrics, valid_canonical
from vaelab.chem.properties import valid_molecules
from vaelab.chem.reference import reference_metrics, set_statistics

ROOT = Path(__file__).resolve().parents[2]
MOSES_DATA = Path(importlib.util.find_spec("moses").submodule_search_locations[0]) / "dataset" / "data"


def read_smiles(path: Path, n: int) -> list[str]:
    """The first n SMILES of a MOSES csv.gz (column SMILES) or of a csv with a SMILES column."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="") as fh:
        return [row["SMILES"] for _, row in zip(range(n), csv.DictReader(fh))]


def import_moses():
    """``moses.metrics.metrics`` and ``.utils``, importable after the shims described above."""
    import pandas as pd

    pd.DataFrame.append = lambda self, other, sort=False: pd.concat([self, other], sort=sort)
    np.NaN = np.nan
    six, moves = types.ModuleType("rdkit.six"), types.ModuleType("rdkit.six.moves")
    six.iteritems, moves.cPickle, six.moves = (lambda d: iter(d.items())), pickle, moves
    sys.modules.update({"rdkit.six": six, "rdkit.six.moves": moves})
    import moses.metrics.metrics as metrics
    import moses.metrics.utils as utils

    return metrics, utils


def timed(fn, *args):
    """fn(*args) and its (wall, CPU) seconds; on a shared machine the CPU time is the steadier figure."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, (time.perf_counter() - t0, time.process_time() - c0)


def vaelab_side(generated: list[str], reference: list[str]) -> tuple[dict, dict]:
    ref, t_ref = timed(set_statistics, reference)
    gen, t_gen = timed(set_statistics, generated)
    figures, t_cmp = timed(reference_metrics, gen, ref)
    passes, t_filters = timed(passes_filters, valid_molecules(generated))
    figures["filters"] = float(passes.mean())
    _, t_all = timed(sample_metrics, generated, [], reference)
    times = {"reference statistics (10,000)": t_ref, "generated statistics (1,000)": t_gen,
             "SNN + Frag + Scaf + W1 from the statistics": t_cmp, "Filters (1,000)": t_filters,
             "sample_metrics, everything (FCD on both sets included)": t_all}
    return figures, times


def moses_side(generated: list[str], reference: list[str]) -> dict:
    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")  # the legacy Morgan call MOSES makes warns once per molecule
    metrics, utils = import_moses()
    gen = [utils.get_mol(s) for s in generated]
    ref = [utils.get_mol(s) for s in reference]
    out = {"snn_test": metrics.SNNMetric()(gen=gen, ref=ref), "frag_test": metrics.FragMetric()(gen=gen, ref=ref),
           "scaf_test": metrics.ScafMetric()(gen=gen, ref=ref),
           "filters": metrics.fraction_passes_filters(gen)}
    for key, fn in [("logp", utils.logP), ("qed", utils.QED), ("sa", utils.SA), ("mw", utils.weight)]:
        out[f"{key}_w1_test"] = metrics.WassersteinMetric(fn)(gen=gen, ref=ref)
    fps_moses = utils.fingerprints(gen, fp_type="morgan")
    out["same Morgan bits"] = bool(np.array_equal(fps_moses, set_statistics(generated, ()).fingerprints))
    return out


def main() -> None:
    reference = read_smiles(MOSES_DATA / "test.csv.gz", 10_000)
    generated = valid_canonical(read_smiles(MOSES_DATA / "train.csv.gz", 800)
                                + read_smiles(ROOT / "tests" / "chem" / "fixtures" / "qm9_200.csv", 200))
    reference = valid_canonical(reference)
    print(f"{len(generated)} generated vs {len(reference)} reference; filters: {filter_source()}")
    ours, times = vaelab_side(generated, reference)
    theirs = moses_side(generated, reference)
    print("| metric | vaelab | moses.metrics | difference |\n| --- | --- | --- | --- |")
    for key, value in ours.items():
        print(f"| {key} | {value:.6f} | {theirs[key]:.6f} | {abs(value - theirs[key]):.1e} |")
    print(f"Morgan bits identical to MOSES' legacy GetMorganFingerprintAsBitVect: {theirs['same Morgan bits']}")
    print("| step (vaelab, one thread) | wall s | CPU s |\n| --- | --- | --- |")
    for step, (wall, cpu) in times.items():
        print(f"| {step} | {wall:.2f} | {cpu:.2f} |")


if __name__ == "__main__":
    main()
