"""Train the feature nets vaelab ships for FD (feature net), deterministically, into the package.

Writes src/vaelab/pipeline/feature_nets/<name>-v<recipe>.safetensors and .json (the
recipe version, the weights' sha256, the test accuracy, what the net was trained on)
for every shipped net, or the ones named. Each is trained with seed 0 on one CPU
thread with torch.use_deterministic_algorithms(True) (vaelab.pipeline.shipped_nets.train_shipped).
Bump vaelab.pipeline.feature_net.RECIPE_VERSION before retraining with a changed recipe:
the FD of runs scored with the old nets is not comparable with the new ones.

    python docs/experiments/train_feature_nets.py                  # all four (about 30 s on one core)
    python docs/experiments/train_feature_nets.py digits-grey --out /tmp/nets   # one, elsewhere
"""

import argparse
import sys
import time
from pathlib import Path

from vaelab.pipeline.shipped_nets import FOLDER, SHIPPED, train_shipped


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", choices=[[], *SHIPPED], help="nets to train (default: all)")
    parser.add_argument("--out", type=Path, default=FOLDER, help=f"folder for the files (default {FOLDER})")
    args = parser.parse_args(argv)
    for name in args.names or SHIPPED:
        t0 = time.perf_counter()
        record = train_shipped(name, args.out)
        print(f"{name}: test accuracy {record['test_accuracy']:.4f} (chance {record['chance_accuracy']:.3f}), "
              f"sha256 {record['sha256']}, {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
