"""``evaluate:`` in a sweep file: ``vaelab evaluate`` on every finished trial, its figures in ``results.csv``.

::

    evaluate: {split: test, iw_samples: 1000, fd: false}    # or `evaluate: true` for the defaults

The keys are those of :func:`vaelab.pipeline.evaluate_run` that make sense for a whole
sweep. A trial whose diagnostics file was written from its current best checkpoint with
the same settings is not evaluated again. Scalars of the diagnostics file become columns
named ``<split>_<key>`` (``test_iw_nll``, ``test_mi``, ``test_au``, ``test_fd_rec``, ...).
"""

from __future__ import annotations

import json
from pathlib import Path

from vaelab.errors import ConfigError, did_you_mean
from vaelab.rundir.layout import RunLayout
from vaelab.rundir.run import SUBSET_RULE

#: what ``evaluate:`` may hold, with the type each value must have
OPTIONS = {"split": str, "iw_samples": int, "fd": bool, "limit": int, "seed": int, "batch_size": int,
           "molecule_samples": int, "fd_samplers": list}
#: the splits a run can be evaluated on
SPLITS = ("train", "valid", "test")
#: diagnostics that hold a mapping whose numbers become columns too (``test_fd_rec``, ``test_validity``)
NESTED = ("fd", "molecules")
#: bookkeeping fields of a diagnostics file that are not results
NOT_RESULTS = ("split", "checkpoint", "seed", "time_s", "au_threshold", "mi_n")


def evaluate_options(spec) -> dict | None:
    """The checked ``evaluate:`` mapping (``true`` = defaults, absent or ``false`` = None), split filled in."""
    if spec is None or spec is False:
        return None
    if spec is True:
        spec = {}
    if not isinstance(spec, dict):
        raise ConfigError(f"sweep 'evaluate' must be true or a mapping such as {{iw_samples: 1000}}, got {spec!r}")
    for key, value in spec.items():
        if key not in OPTIONS:
            raise ConfigError(f"sweep 'evaluate': unknown key '{key}'.{did_you_mean(key, OPTIONS)} "
                              f"Valid keys: {', '.join(OPTIONS)}")
        kind = OPTIONS[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(f"sweep 'evaluate.{key}' must be {'true or false' if kind is bool else kind.__name__}, "
                              f"got {value!r}")
        if kind is list and not all(isinstance(v, str) for v in value):
            raise ConfigError(f"sweep 'evaluate.{key}' must be a list of sampler names such as [gmm, two-stage], "
                              f"got {value!r}")
        if kind is int and value < (0 if key == "iw_samples" else 1):
            raise ConfigError(f"sweep 'evaluate.{key}' must be >= {0 if key == 'iw_samples' else 1}, got {value}")
    split = spec.get("split", "test")
    if split not in SPLITS:
        raise ConfigError(f"sweep 'evaluate.split' must be one of {', '.join(SPLITS)}, got {split!r}")
    return {**spec, "split": split}


def _best_checkpoint(run_dir: Path) -> str | None:
    try:
        return json.loads(RunLayout(run_dir).summary.read_text()).get("best", {}).get("checkpoint")
    except (OSError, ValueError, AttributeError):
        return None


def read_diagnostics(run_dir: Path, options: dict) -> dict | None:
    """The trial's diagnostics file when it answers ``options`` (same split, checkpoint, K and size), else None."""
    try:
        found = json.loads(RunLayout(run_dir).diagnostics_of(options["split"]).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(found, dict) or found.get("checkpoint") != _best_checkpoint(run_dir):
        return None
    if "iw_samples" in options and found.get("iw_samples", 0) != options["iw_samples"]:
        return None
    if "limit" in options and (found.get("n") != options["limit"] or found.get("subset") != SUBSET_RULE):
        return None  # a subset picked another way (before SUBSET_RULE: the split's first rows) is evaluated again
    if options.get("fd", True) is not False and "fd" not in found and "molecules" not in found:
        return None
    fd = found.get("fd") if isinstance(found.get("fd"), dict) else {}
    if "fd" in found and any(f"fd_{name.replace('-', '_')}" not in fd for name in options.get("fd_samplers", ())):
        return None
    return found


def evaluate_trial(run_dir: str, options: dict) -> str | None:
    """Evaluate one finished trial (in a worker process); its error as one line, or None."""
    from vaelab.errors import VaelabError
    from vaelab.pipeline import evaluate_run
    from vaelab.progress import quiet
    from vaelab.rundir import load_run

    try:
        with quiet():
            evaluate_run(load_run(run_dir), progress=False, **options)
    except VaelabError as err:
        return f"evaluate: {err}"
    except Exception as err:  # noqa: BLE001 - one trial's failure must not stop the sweep; its line is kept
        return f"evaluate: internal error ({type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''})"
    return None


def result_columns(diagnostics: dict, split: str) -> dict:
    """The diagnostics' numbers as ``results.csv`` columns: ``<split>_<key>``, nested ``fd``/``molecules`` flattened."""
    columns = {}
    for key, value in diagnostics.items():
        if key in NESTED and isinstance(value, dict):
            columns.update({f"{split}_{k}": v for k, v in value.items() if _is_number(v)})
        elif key not in NOT_RESULTS and _is_number(value):
            columns[f"{split}_{key}"] = value
    return columns


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
