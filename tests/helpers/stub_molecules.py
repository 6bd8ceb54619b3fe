"""A stand-in molecule run: real SMILES, a real vocabulary and tokenizer, a hand-made "model".

The codes of a molecule are its standardised (logP, QED, O count, N count), so the latent
space is well organised; decoding returns the token ids of the nearest training molecule,
and codes far from every molecule (||z|| > ``INVALID_RADIUS``) decode to an unclosed
ring, which RDKit rejects. That is enough to test decode -> SMILES -> RDKit without the
sequence models.
"""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch
from torch import nn

FIXTURE = Path(__file__).resolve().parents[1] / "chem" / "fixtures" / "qm9_200.csv"
INVALID_RADIUS = 6.0
INVALID_SMILES = "C1CC"  # ring 1 never closed


def read_fixture():
    from vaelab.chem.smiles import canonicalize_one

    rows = list(csv.DictReader(FIXTURE.open()))
    smiles = [canonicalize_one(r["SMILES"]) for r in rows]
    keep = [i for i, s in enumerate(smiles) if s is not None]
    props = np.array([[float(rows[i][k]) for k in ("mu", "homo", "lumo", "gap")] for i in keep], dtype=np.float32)
    return [smiles[i] for i in keep], props


def features(smiles: list[str]) -> np.ndarray:
    from vaelab.chem.properties import properties

    p = properties(smiles, ["logp", "qed"])
    return np.stack([p["logp"], p["qed"], [s.count("O") for s in smiles], [s.count("N") for s in smiles]], 1)


class Out:
    def __init__(self, mean):
        self.mean = mean


class StubModel(nn.Module):
    """encode: the row's code from a table; decode: ids of the nearest training molecule (or an invalid string)."""

    side_inputs = ()
    n_sampler = "prior"
    name = "stub"

    def __init__(self, codes: torch.Tensor, ids: torch.Tensor, invalid_ids: torch.Tensor, all_ids: torch.Tensor,
                 all_codes: torch.Tensor):
        super().__init__()
        from vaelab.distributions.prior import StandardNormalPrior

        self.prior = StandardNormalPrior(codes.shape[1])
        self.codes, self.ids, self.invalid_ids = codes, ids, invalid_ids
        self.all_ids, self.all_codes = all_ids, all_codes  # every split's rows, to look codes up by ids

    @property
    def latent_dim(self) -> int:
        return self.codes.shape[1]

    def encode(self, x, **side):
        hit = (x.long()[:, None, :] == self.all_ids[None]).all(-1).float().argmax(1)  # (B,) row of each x
        return Out(self.all_codes[hit])

    def decode(self, z, **side):
        nearest = torch.cdist(z.float(), self.codes).argmin(1)  # (B,)
        ids = self.ids[nearest].clone()  # (B, L)
        far = z.norm(dim=-1) > INVALID_RADIUS
        ids[far] = self.invalid_ids
        return Out(ids)


def stub_molecule_run(path: Path):
    """A :class:`vaelab.rundir.Run` over the stub model and a 150/20/rest split of the QM9 fixture."""
    from vaelab.chem.tokenize import get_tokenizer
    from vaelab.chem.vocab import Vocabulary
    from vaelab.data.base import DataBundle, Split
    from vaelab.rundir import Run

    smiles, props = read_fixture()
    tok = get_tokenizer("smiles")
    tokens = [tok.tokenize(s) for s in smiles + [INVALID_SMILES]]
    vocab = Vocabulary.build(tokens)
    max_len = max(len(t) for t in tokens)
    ids = vocab.encode(tokens, max_len)  # (N + 1, L)
    f = features(smiles)
    codes = torch.as_tensor((f - f.mean(0)) / f.std(0), dtype=torch.float32)  # (N, 4)
    cut = {"train": slice(0, 150), "valid": slice(150, 170), "test": slice(170, len(smiles))}
    splits = {k: Split(ids[:-1][c]) for k, c in cut.items()}
    info = {"smiles": {k: smiles[c] for k, c in cut.items()}, "properties": {k: props[c] for k, c in cut.items()},
            "property_names": ["mu", "homo", "lumo", "gap"], "vocabulary": vocab.to_dict(), "tokenizer": "smiles"}
    bundle = DataBundle("stub-qm9", "tokens", (max_len + 2,), splits["train"], splits["valid"], splits["test"], info)
    model = StubModel(codes[cut["train"]], ids[:-1][cut["train"]], ids[-1], ids[:-1], codes)
    config = SimpleNamespace(train=SimpleNamespace(seed=0), data=SimpleNamespace(name="stub-qm9"),
                             model=SimpleNamespace(name="stub"))
    path.mkdir(parents=True, exist_ok=True)
    run = Run(path, config, model, {"binarize": "none", "event_shape": [max_len + 2], "epoch": 1}, "epoch_0001",
              torch.device("cpu"))
    run.__dict__["data"] = bundle  # Run.data is a cached property: the bundle stands in for load_data
    return run, codes, smiles
