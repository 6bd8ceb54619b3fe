"""Sequence encoders: ids and their one-hot rows give the same features; soft rows carry gradients."""

import pytest
import torch
import torch.nn.functional as F

from vaelab.nn.seq import ArticleConvEncoder, ChemVAEEncoder, GRUEncoder, one_hot_tokens, token_lengths

V, L = 7, 12


def _ids(lengths, length=L):
    """Rows laid out bos, tokens (ids 3..V-1), eos, pad: (B, L) int64."""
    g = torch.Generator().manual_seed(0)
    rows = []
    for n in lengths:
        row = torch.zeros(length, dtype=torch.long)
        row[0], row[n + 1] = 1, 2
        row[1 : n + 1] = torch.randint(3, V, (n,), generator=g)
        rows.append(row)
    return torch.stack(rows)


ENCODERS = {
    "chemvae": lambda: ChemVAEEncoder(V, L, dense=16),
    "article-conv": lambda: ArticleConvEncoder(V, L, channels=(4, 4, 8, 8)),
    "gru": lambda: GRUEncoder(V, embedding=5, hidden=8),
}


@pytest.mark.parametrize("name", sorted(ENCODERS))
def test_soft_one_hot_input_gives_the_same_features_as_the_ids(name):
    torch.manual_seed(0)
    enc = ENCODERS[name]().eval()
    x = _ids([3, 9, 1, 6])
    h_ids = enc(x)  # (B, F)
    assert h_ids.shape == (4, enc.out_features)
    assert torch.allclose(enc(x.float()), h_ids)  # the trainer hands ids over as floats
    soft = F.one_hot(x, V).float().requires_grad_(True)
    h_soft = enc(soft)
    assert torch.allclose(h_soft, h_ids, atol=1e-6)
    h_soft.sum().backward()  # gradients reach the soft input (NE-VAE re-encodes probabilities)
    assert soft.grad is not None and soft.grad.abs().sum() > 0


def test_the_gru_code_ignores_padding_and_batch_mates():
    torch.manual_seed(0)
    enc = GRUEncoder(V, embedding=5, hidden=8).eval()
    x = _ids([2, 10])
    alone = enc(x[:1])  # this batch runs 4 steps, the pair runs 12
    assert torch.allclose(enc(x)[:1], alone, atol=1e-6)
    longer = torch.cat([x[:1], torch.zeros(1, 6, dtype=torch.long)], dim=1)  # more padding: same code
    assert torch.allclose(enc(longer), alone, atol=1e-6)


def test_token_lengths_count_bos_tokens_and_eos_for_ids_and_soft_rows():
    x = _ids([3, 0, 10])
    assert token_lengths(x).tolist() == [5, 2, 12]
    assert token_lengths(one_hot_tokens(x, V)).tolist() == [5, 2, 12]


def test_a_wrong_shape_is_refused_with_the_expected_one():
    with pytest.raises(ValueError, match=r"\(B, L\) or token probabilities \(B, L, 7\)"):
        one_hot_tokens(torch.zeros(2, L, V + 1), V)
