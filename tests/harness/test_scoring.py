"""The scorer's contract: invariance, cache, budget, and checks on model output."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.core.errors import BudgetExhausted, ModelOutputError
from harness.models import CallableRewardModel, load_reward_model
from harness.scoring import Scorer

text = st.lists(
    st.sampled_from([*list("abcdefgh xyz.,!?'é"), "joke ", "the ", "\n", "😀", "</s>"]),
    max_size=40,
).map("".join)
pair_lists = st.lists(st.tuples(text, text), min_size=1, max_size=12)


@pytest.fixture(scope="module")
def invariance_models(checkpoints, tmp_path_factory):
    """For each architecture: the same weights behind a right- and a left-padding tokenizer."""
    models = {}
    for name, left in (("bert", "bert_left"), ("llama_chat", "llama_chat_left")):
        right = "bert" if name == "bert" else "llama_chat_right"
        models[name] = (load_reward_model(checkpoints[right]), load_reward_model(checkpoints[left]))
    return models


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pairs=pair_lists, batch_size=st.integers(1, 8), data=st.data())
@pytest.mark.parametrize("arch", ["bert", "llama_chat"])
def test_scores_do_not_depend_on_batch_size_order_or_padding_side(
    invariance_models, arch, pairs, batch_size, data
):
    right, left = invariance_models[arch]
    prompts = [p for p, _ in pairs]
    responses = [r for _, r in pairs]
    # Ground truth: each pair alone, no padding at all.
    alone = np.array([right.score_batch(right.prepare([p], [r]))[0] for p, r in pairs])
    order = data.draw(st.permutations(range(len(pairs))))
    model = data.draw(st.sampled_from([right, left]))
    scorer = Scorer(model, batch_size=batch_size)
    shuffled = scorer.score([prompts[i] for i in order], [responses[i] for i in order])
    restored = np.empty_like(shuffled)
    restored[list(order)] = shuffled
    np.testing.assert_allclose(restored, alone, atol=1e-4, rtol=0)


def test_cache_makes_repeats_free_and_dedupes(checkpoints):
    scorer = Scorer(load_reward_model(checkpoints["bert"]))
    first = scorer.score(["p", "p", "q"], ["a", "a", "b"])
    assert scorer.stats.queries == 2 and scorer.stats.cache_hits == 1
    again = scorer.score(["q", "p"], ["b", "a"])
    assert scorer.stats.queries == 2
    assert again.tolist() == [first[2], first[0]]


def test_cache_is_keyed_by_fingerprint(checkpoints, tmp_path):
    shared: dict = {}
    a = Scorer(load_reward_model(checkpoints["bert"]), cache=shared)
    b = Scorer(load_reward_model(checkpoints["llama"]), cache=shared)
    a.score(["p"], ["r"])
    b.score(["p"], ["r"])
    assert a.stats.queries == 1 and b.stats.queries == 1 and len(shared) == 2


def test_budget_is_never_overspent(checkpoints):
    scorer = Scorer(load_reward_model(checkpoints["bert"]), budget=3)
    scorer.score(["p", "p"], ["a", "b"])
    with pytest.raises(BudgetExhausted) as info:
        scorer.score(["p", "p"], ["c", "d"])
    assert info.value.requested == 2 and info.value.remaining == 1
    assert scorer.stats.queries == 2  # nothing was scored for the refused request
    scorer.score(["p", "p", "p"], ["a", "b", "c"])  # cached ones are free
    assert scorer.remaining == 0
    with pytest.raises(BudgetExhausted):
        scorer.gradients("p", "z")


def test_with_budget_shares_cache_but_not_counters(checkpoints):
    parent = Scorer(load_reward_model(checkpoints["bert"]))
    parent.score(["p"], ["a"])
    child = parent.with_budget(1)
    child.score(["p", "p"], ["a", "b"])
    assert child.stats.queries == 1 and parent.stats.queries == 1
    assert child.remaining == 0


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_scores_raise_naming_the_pair(bad):
    def reward(prompts, responses):
        return [bad if r == "boom" else 1.0 for r in responses]

    scorer = Scorer(CallableRewardModel(reward))
    with pytest.raises(ModelOutputError, match="'boom'"):
        scorer.score(["p", "p"], ["fine", "boom"])


def test_empty_response_is_scored(checkpoints):
    for name in ("bert", "llama_chat_left"):
        value = Scorer(load_reward_model(checkpoints[name])).score_one("Tell me a joke.", "")
        assert np.isfinite(value)


def test_batches_are_length_sorted_and_token_bounded():
    seen: list[list[int]] = []

    def reward(prompts, responses):
        seen.append([len(r) for r in responses])
        return [0.0] * len(responses)

    scorer = Scorer(CallableRewardModel(reward), batch_size=4, max_batch_tokens=60)
    lengths = [1, 30, 5, 12, 29, 2, 3, 4]
    scorer.score([""] * len(lengths), ["x" * n for n in lengths])
    flat = [n for batch in seen for n in batch]
    assert flat == sorted(lengths, reverse=True)
    assert all(len(b) <= 4 and max(b) * len(b) <= 60 for b in seen)


def test_callable_spec_loads_module_function(tmp_path, monkeypatch):
    module = tmp_path / "my_rewards.py"
    module.write_text("def length(prompts, responses):\n    return [len(r) for r in responses]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    rm = load_reward_model("my_rewards:length")
    assert Scorer(rm).score(["p", "p"], ["ab", "abcd"]).tolist() == [2.0, 4.0]
    shutil.rmtree(tmp_path / "__pycache__", ignore_errors=True)


def test_outscores_ignores_float_noise():
    from harness.scoring import outscores

    assert not outscores(0.9075586199760437, 0.9075585603713989)  # same tokens, other batch
    assert outscores(0.91, 0.9075585603713989)
    assert not outscores(100.0005, 100.0)  # noise scales with the score
    assert outscores(1.6, 1.0, margin=0.5) and not outscores(1.4, 1.0, margin=0.5)
