"""The feature net that scores a run's FD: the shipped one for its data, else one trained on its data (cached).

Its record goes to ``diagnostics.json`` under ``fd.feature_net``: the weights' sha256
(``sha256``, and its first 12 digits as ``hash``), the recipe version, whether it was
shipped or trained locally, what it was trained on and its test accuracy. A net whose
test accuracy is near chance (:func:`near_chance`) gets a warning, printed and recorded.
"""

from __future__ import annotations

import warnings

from vaelab.pipeline.feature_cache import load_or_train
from vaelab.pipeline.feature_net import FeatureNet
from vaelab.pipeline.feature_source import feature_source
from vaelab.pipeline.shipped_nets import load_shipped, shipped_for

FIRST = ("name", "net", "origin", "hash", "sha256", "recipe_version", "test_accuracy", "chance_accuracy", "warning")


def fd_feature_net(run, binary: bool) -> tuple[FeatureNet, dict]:
    """The net for ``run`` (``binary``: its evaluation data is binary) and its record, hash and warning first."""
    name = shipped_for(run.data, binary)
    if name is not None:
        net, info = load_shipped(name, run.device)
    else:
        src = feature_source(run.data, binary, seed=run.config.data.split_seed)
        net, info = load_or_train(src, run.device)
    info = {**info, "hash": info["sha256"][:12]}
    warning = chance_warning(info)
    if warning:
        warnings.warn(warning, stacklevel=3)
        info["warning"] = warning
    return net, {**{k: info[k] for k in FIRST if k in info}, **info}


def near_chance(accuracy: float, chance: float) -> bool:
    """True when ``accuracy`` is at most twice ``chance`` (the share of the most common test label), or at most
    halfway from ``chance`` to 1 when that is lower (two balanced classes: 0.75).

    Ten balanced classes: 0.20 or less; four: 0.50 or less. Such a net's features barely
    separate the data's classes, so Fréchet distances between them say little.
    """
    return accuracy <= min(2.0 * chance, (1.0 + chance) / 2.0)


def chance_warning(info: dict) -> str | None:
    """One line naming the problem and the fix when the net's test accuracy is near chance; else None."""
    acc, chance = info.get("test_accuracy"), info.get("chance_accuracy")
    if acc is None or chance is None or not near_chance(acc, chance):
        return None
    return (f"FD feature net: test accuracy {acc:.2f} on {info.get('n_test', '?')} test images is near chance "
            f"({chance:.2f}) for {info.get('trained_on')}, so its FD values mean little; give the data more labelled "
            "images per class (or no labels, for k-means clusters), or skip the FD (vaelab evaluate --no-fd)")
