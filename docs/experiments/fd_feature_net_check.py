"""Sanity figures for FD (feature net) on mnist5k: how big is "the same distribution"?

Prints the shipped feature net's hash and test accuracy (the ``mnist5k-binary`` net that
scores binarised mnist5k runs) and three Fréchet distances against mnist5k's 500 test
digits (binarised once with seed 0, as evaluation does):
  * the same digits, grey instead of binarised (does binarisation move the features?)
  * the same digits binarised with another seed
  * 500 random training digits, binarised (the floor for an independent sample)

    python docs/experiments/fd_feature_net_check.py
"""

import torch

from vaelab.config.schema import DataConfig
from vaelab.data import load_data
from vaelab.data.transforms import prepare_eval
from vaelab.diagnostics.frechet import frechet_distance
from vaelab.pipeline import feature_net as fn
from vaelab.pipeline.shipped_nets import load_shipped


def main() -> None:
    bundle = load_data(DataConfig(name="mnist5k"))
    net, info = load_shipped("mnist5k-binary", torch.device("cpu"))
    grey = bundle.test.x.float()
    test = prepare_eval(grey, "dynamic", seed=0)
    idx = torch.randperm(len(bundle.train), generator=torch.Generator().manual_seed(0))[: len(grey)]
    feats = lambda x: fn.features(net, x).numpy()  # noqa: E731
    ref = feats(test)
    print(f"feature net: {info['net']} (hash {info['sha256'][:12]}, recipe v{info['recipe_version']}), "
          f"{info['architecture']}; test accuracy {info['test_accuracy']:.3f}")
    print(f"FD(test binarised, same digits grey)          = {frechet_distance(ref, feats(grey)):.1f}")
    print(f"FD(test binarised, same digits, other seed)   = {frechet_distance(ref, feats(prepare_eval(grey, 'dynamic', 1))):.1f}")
    train = prepare_eval(bundle.train.x[idx].float(), "dynamic", seed=0)
    print(f"FD(test binarised, 500 random train digits)   = {frechet_distance(ref, feats(train)):.1f}")


if __name__ == "__main__":
    main()
