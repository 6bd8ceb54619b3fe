"""How an ensemble's epoch grows with its size K (issue #17's GPU target: K = 32 in <= 2x the time of K = 1).

Runs ``bench/ensemble_speed.py`` once per K (default 1, 8, 32) in this process, on the
same device and data, and writes each K's result beside a summary: seconds per epoch
for every K and ``k_max_over_k1`` (the largest K's epoch over K = 1's), the figure the
target is about. On a GPU the members' products are batched into one kernel each, so
the epoch should grow far more slowly than K; on a 2-core CPU it grows about linearly.

    python bench/ensemble_scaling.py --device cuda --synthetic        # the GPU figures
    python bench/ensemble_scaling.py --synthetic --members 1 2 --limit 2000 --rounds 1   # a quick check
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import ensemble_speed  # noqa: E402  (bench/ is on sys.path)
from common import REPO, write_result  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--members", type=int, nargs="+", default=[1, 8, 32], help="the sizes K to time")
    p.add_argument("--out", default=None, help="summary JSON (default bench/results/ensemble_scaling-<device>.json)")
    args, rest = p.parse_known_args(argv)
    return args, rest


def main(argv=None) -> int:
    args, rest = parse_args(argv)
    per_k = {}
    with tempfile.TemporaryDirectory() as tmp:
        for k in args.members:
            out = Path(tmp) / f"k{k}.json"
            code = ensemble_speed.main([*rest, "--members", str(k), "--out", str(out)])
            if code:
                return code
            per_k[k] = json.loads(out.read_text())
    first, last = per_k[args.members[0]], per_k[args.members[-1]]
    result = {
        "members": args.members,
        "seconds_per_epoch_ensemble": {str(k): r["seconds_per_epoch_ensemble"] for k, r in per_k.items()},
        "seconds_per_epoch_single": {str(k): r["seconds_per_epoch_single"] for k, r in per_k.items()},
        "k_max_over_k1": last["seconds_per_epoch_ensemble"] / first["seconds_per_epoch_ensemble"],
        "target": f"K = {args.members[-1]} in <= 2x the time of K = {args.members[0]} (on a GPU)",
        "per_k": per_k,
        "device": first["device"], "device_name": first["device_name"], "torch": first["torch"],
    }
    device = first["device"].split(":")[0]
    out = Path(args.out) if args.out else REPO / "bench" / "results" / f"ensemble_scaling-{device}.json"
    write_result(out, result, ("k_max_over_k1",))
    return 0


if __name__ == "__main__":
    sys.exit(main())
