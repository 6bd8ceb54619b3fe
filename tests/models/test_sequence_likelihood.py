"""Token likelihoods: pad is ignored, bos is not predicted, teacher forcing shifts by one, greedy stops at eos."""

import math

import pytest
import torch
import torch.nn.functional as F

from vaelab.distributions.sequence import (
    AutoregressiveTokens,
    CategoricalSequenceHead,
    GRUSequenceHead,
    TokenCategorical,
    data_layout,
    finish,
)

PAD, BOS, EOS, C, O = 0, 1, 2, 4, 5  # a vocabulary of the four specials and two tokens: pad bos eos unk C O
V = 6


def test_log_prob_sums_positions_up_to_eos_and_ignores_pad_by_hand():
    # position t holds probabilities p_t(C), p_t(O), p_t(eos); only positions 1 and 2 are scored for "C"
    logits = torch.full((1, 4, V), -1e9)
    logits[0, :, C], logits[0, :, O], logits[0, :, EOS] = 0.0, math.log(3.0), 0.0  # C 1/5, O 3/5, eos 1/5
    x = torch.tensor([[BOS, C, EOS, PAD, PAD]])
    expected = math.log(1 / 5) + math.log(1 / 5)
    assert TokenCategorical(logits).log_prob(x).item() == pytest.approx(expected, abs=1e-5)
    changed = logits.clone()
    changed[0, 2:] = torch.randn(2, V)  # whatever is predicted at the pad positions does not count
    assert TokenCategorical(changed).log_prob(x).item() == pytest.approx(expected, abs=1e-5)
    x_long = torch.tensor([[BOS, O, O, O, EOS]])
    assert TokenCategorical(logits).log_prob(x_long.float()).item() == pytest.approx(
        3 * math.log(3 / 5) + math.log(1 / 5), abs=1e-5)


def test_log_prob_broadcasts_x_over_leading_sample_dimensions():
    torch.manual_seed(0)
    head = GRUSequenceHead(3, V, 5, embedding=4, hidden=6)
    h = torch.randn(2, 3, 3)  # (k, B, F)
    x = torch.tensor([[BOS, C, EOS, PAD, PAD], [BOS, O, C, O, EOS], [BOS, EOS, PAD, PAD, PAD]])
    lp = head(h).log_prob(x)  # (k, B)
    assert lp.shape == (2, 3)
    assert torch.allclose(lp[1], head(h[1]).log_prob(x), atol=1e-5)
    fc = CategoricalSequenceHead(3, V, 5)
    assert torch.allclose(fc(h).log_prob(x)[0], fc(h[0]).log_prob(x), atol=1e-6)


def test_teacher_forcing_feeds_x_without_its_last_column_and_scores_x_shifted_by_one():
    torch.manual_seed(0)
    head = GRUSequenceHead(3, V, 5, embedding=4, hidden=6)
    seen = []
    head.net.register_forward_hook(lambda mod, args, out: seen.append(args[0].clone()))
    h = torch.randn(2, 3)
    x = torch.tensor([[BOS, O, C, O, EOS], [BOS, C, EOS, PAD, PAD]])
    lp = head(h).log_prob(x)
    assert torch.equal(seen[0], x[:, :-1])  # inputs x_0 .. x_{L-2}
    logits = head.net(x[:, :-1], h)  # (B, L - 1, V) predicting x_1 .. x_{L-1}
    manual = F.log_softmax(logits, -1).gather(-1, x[:, 1:, None]).squeeze(-1) * (x[:, 1:] != PAD)
    assert torch.allclose(lp, manual.sum(-1), atol=1e-5)


def test_a_batch_runs_only_up_to_its_longest_sequence_with_the_same_result():
    torch.manual_seed(0)
    head = GRUSequenceHead(3, V, 8, embedding=4, hidden=6)
    seen = []
    head.net.register_forward_hook(lambda mod, args, out: seen.append(args[0].shape))
    h = torch.randn(2, 3)
    x = torch.tensor([[BOS, O, EOS, PAD, PAD, PAD, PAD, PAD], [BOS, C, C, EOS, PAD, PAD, PAD, PAD]])
    lp = head(h).log_prob(x)
    assert seen[0] == (2, 3)  # 4 columns hold tokens: inputs bos, t1, t2
    full = head.net(x[:, :-1], h)
    manual = (F.log_softmax(full, -1).gather(-1, x[:, 1:, None]).squeeze(-1) * (x[:, 1:] != PAD)).sum(-1)
    assert torch.allclose(lp, manual, atol=1e-5)


def test_greedy_decode_of_hand_set_logits_follows_the_argmax_and_stops_at_eos():
    table = torch.full((V, V), -5.0)  # previous token -> next-token logits
    table[BOS, C] = table[C, O] = table[O, EOS] = 5.0
    table[EOS, C] = 5.0  # would continue after eos if the decode did not stop there
    head = GRUSequenceHead(2, V, 6, embedding=4, hidden=6)

    def step(token, h, state):
        return table[token].expand(h.shape[0], V) + 0 * h.sum(-1, keepdim=True), state

    head.net.step = step
    p = head(torch.zeros(3, 2))
    assert p.mean.dtype == torch.int64
    assert p.mean.tolist() == [[BOS, C, O, EOS, PAD, PAD]] * 3
    assert p.sample().tolist() == [[BOS, C, O, EOS, PAD, PAD]] * 3  # the table is peaked enough
    probs = p.probs  # (B, L, V) along the greedy path
    assert probs.shape == (3, 6, V) and torch.allclose(probs.sum(-1), torch.ones(3, 6))
    assert probs[0, 4].argmax() == PAD and probs[0, 0].argmax() == BOS

    fc = CategoricalSequenceHead(2, V, 6)  # the factorised decoder: logits = bias
    with torch.no_grad():
        fc.linear.weight.zero_()
        bias = torch.full((5, V), -5.0)
        bias[0, O] = bias[1, C] = bias[2, EOS] = bias[3, O] = bias[4, O] = 5.0
        fc.linear.bias.copy_(bias.reshape(-1))
    assert fc(torch.zeros(2, 2)).mean.tolist() == [[BOS, O, C, EOS, PAD, PAD]] * 2


def test_finish_pads_after_the_first_eos():
    ids = torch.tensor([[BOS, C, EOS, O, EOS, C], [BOS, O, O, O, O, O]])
    assert finish(ids).tolist() == [[BOS, C, EOS, PAD, PAD, PAD], [BOS, O, O, O, O, O]]


@pytest.mark.parametrize("kind", ["gru", "fc"])
def test_reconstruction_is_soft_laid_out_like_x_and_differentiable(kind):
    torch.manual_seed(0)
    head = GRUSequenceHead(3, V, 5, embedding=4, hidden=6) if kind == "gru" else CategoricalSequenceHead(3, V, 5)
    h = torch.randn(2, 3, requires_grad=True)
    x = torch.tensor([[BOS, O, C, O, EOS], [BOS, C, EOS, PAD, PAD]])
    r = head(h).reconstruction(x)  # (B, L, V)
    assert r.shape == (2, 5, V)
    assert torch.allclose(r.sum(-1), torch.ones(2, 5), atol=1e-6)
    assert torch.equal(r[:, 0], F.one_hot(torch.tensor([BOS, BOS]), V).float())
    assert torch.equal(r[1, 3:], F.one_hot(torch.tensor([PAD, PAD]), V).float())
    r[:, 1:].sum().backward() if kind == "fc" else (r * torch.randn_like(r)).sum().backward()
    assert h.grad is not None and h.grad.abs().sum() > 0


def test_data_layout_keeps_predictions_only_where_x_has_tokens():
    pred = torch.full((1, 2, V), 1.0 / V)
    x = torch.tensor([[BOS, EOS, PAD, PAD]])
    out = data_layout(pred, x)
    assert out.shape == (1, 4, V)
    assert torch.allclose(out[0, 1], pred[0, 0]) and out[0, 2, PAD] == 1 and out[0, 3, PAD] == 1


def test_reshape_batch_keeps_the_distribution():
    torch.manual_seed(0)
    head = GRUSequenceHead(3, V, 5, embedding=4, hidden=6)
    p = head(torch.randn(6, 3))
    x = torch.tensor([[BOS, C, EOS, PAD, PAD]])
    assert torch.allclose(p.reshape_batch((2, 3)).log_prob(x).reshape(-1), p.log_prob(x), atol=1e-6)
    assert isinstance(p.reshape_batch((2, 3)), AutoregressiveTokens)
    assert p.reshape_batch((2, 3)).mean.shape == (2, 3, 5)
    assert p.sample((4,)).shape == (4, 6, 5)
