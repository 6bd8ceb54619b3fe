"""Whether the FD values of several runs may be ranked: only when one feature net scored them on one split of one data.

A Fréchet distance depends on the feature space (Heusel et al. 2017) and on the
reference set: FD values from two feature nets, two splits (or sizes of one) or two
data settings measure different things, so the report marks no "best" between them and
says why (:func:`fd_mismatch`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from vaelab.diagnostics.catalogue import lookup
from vaelab.report.load import RunData

#: data settings that do not change the data itself (where the files are, whether to fetch or verify them)
NOT_DATA = ("data_dir", "download", "verify")


def fd_fingerprint(run: RunData) -> dict[str, str | None]:
    """What an FD value of ``run`` depends on: the feature net's hash, the split (and its size), the data settings."""
    diag = run.diagnostics or {}
    sha = lookup(diag, "fd.feature_net.sha256")
    data = run.config.get("data") if isinstance(run.config.get("data"), Mapping) else {}
    settings = {k: v for k, v in data.items() if k not in NOT_DATA}
    return {"feature net": str(sha)[:12] if sha else None,
            "split": f"{diag.get('split')} (n={diag.get('n')})",
            "data": json.dumps(settings, sort_keys=True, default=str)}


def _data_difference(runs: list[RunData], prints: list[dict]) -> str:
    """Per run, the data settings that differ between the runs (``a: name=mnist5k; b: name=binarized-mnist``)."""
    settings = [json.loads(p["data"]) for p in prints]
    keys = sorted({k for s in settings for k in s if any(s.get(k) != o.get(k) for o in settings)})
    return "; ".join(f"{r.name}: " + ", ".join(f"{k}={json.dumps(s.get(k))}" for k in keys)
                     for r, s in zip(runs, settings))


def fd_mismatch(runs: list[RunData]) -> str | None:
    """Why the FD values of ``runs`` cannot be ranked (one line), or None when they share net, split and data."""
    prints = [fd_fingerprint(r) for r in runs]
    unhashed = [r.name for r, p in zip(runs, prints) if p["feature net"] is None]
    if unhashed:
        return (f"{', '.join(unhashed)}: diagnostics.json records no feature-net hash (evaluated by an older "
                "vaelab); run vaelab evaluate again to compare")
    for part, plural in (("feature net", "feature nets"), ("split", "splits")):
        if len({p[part] for p in prints}) > 1:
            return f"the runs were scored with different {plural} (" + "; ".join(
                f"{r.name}: {p[part]}" for r, p in zip(runs, prints)) + ")"
    if len({p["data"] for p in prints}) > 1:
        return f"the runs were scored on different data ({_data_difference(runs, prints)})"
    return None
