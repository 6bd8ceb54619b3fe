"""From latent codes to SMILES: the model's greedy token ids, the run's vocabulary, then its tokenizer."""

from __future__ import annotations

from typing import Optional

import torch

from vaelab.chem.tokenize import get_tokenizer
from vaelab.chem.vocab import Vocabulary


def ids_to_smiles(ids: torch.Tensor, info: dict) -> list[Optional[str]]:
    """Token ids (N, L) to SMILES with the dataset's vocabulary and tokenizer (None where SELFIES cannot decode)."""
    texts = Vocabulary.from_dict(info["vocabulary"]).decode(ids.cpu())
    return get_tokenizer(info["tokenizer"]).to_smiles(texts)


@torch.no_grad()
def greedy_ids(model, z: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """The decoder's greedy token ids for codes z (N, d): (N, L) int64, in batches."""
    model.eval()
    return torch.cat([model.decode(z[s : s + batch_size]).mean for s in range(0, z.shape[0], batch_size)])


def decode_smiles(run, z: torch.Tensor, batch_size: int = 1000) -> list[Optional[str]]:
    """SMILES decoded from codes z (N, d) of a token run (greedy decoding)."""
    return ids_to_smiles(greedy_ids(run.model, z.to(run.device), batch_size), run.data.info)
