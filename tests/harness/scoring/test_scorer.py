"""The scorer's contract: invariance, cache, budget, and checks on model output."""

from __future__ import annotations

import math
import shutil
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.core.errors import BudgetExhausted, ModelOutputError
from harness.models import CallableRewardModel, load_reward_model
from harness.models.base import Prepared, RewardModel
from harness.scoring import Scorer, ScorerStats
from harness.testing import PlantedRewardModel

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


# ------------------------------------------------------- accounting, exactly
def counting_model(seen: list[list[str]] | None = None, score=len):
    """A callable RM scoring ``score(response)``; ``seen`` records every batch it gets."""

    def reward(prompts, responses):
        if seen is not None:
            seen.append(list(responses))
        return [float(score(r)) for r in responses]

    return CallableRewardModel(reward)


def test_settings_are_checked():
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        Scorer(counting_model(), batch_size=0)
    with pytest.raises(ValueError, match="budget must be >= 0"):
        Scorer(counting_model(), budget=-1)
    assert Scorer(counting_model(), batch_size=1, budget=0).remaining == 0
    assert Scorer(counting_model()).remaining is None


def test_score_needs_as_many_prompts_as_responses():
    with pytest.raises(ValueError, match="2 prompts but 1 responses"):
        Scorer(counting_model()).score(["p", "q"], ["a"])


def test_stats_count_queries_hits_batches_and_model_time():
    scorer = Scorer(counting_model(), batch_size=2)
    assert scorer.score(["p"] * 5, ["a", "bb", "a", "ccc", "dddd"]).tolist() == [1, 2, 1, 3, 4]
    stats = scorer.stats
    assert (stats.queries, stats.cache_hits, stats.batches) == (4, 1, 2)
    assert stats.model_seconds > 0 and stats.gradient_queries == 0 and stats.truncated == 0
    scorer.score(["p", "p"], ["a", "eeeee"])
    assert (stats.queries, stats.cache_hits, stats.batches) == (5, 2, 3)
    assert stats.as_dict() == {
        "queries": 5,
        "gradient_queries": 0,
        "cache_hits": 2,
        "truncated": 0,
        "batches": 3,
        "model_seconds": stats.model_seconds,
    }


def test_a_request_the_budget_exactly_pays_for_is_scored():
    scorer = Scorer(counting_model(), budget=2)
    scorer.score(["p", "p"], ["a", "b"])
    assert scorer.remaining == 0
    with pytest.raises(BudgetExhausted) as info:
        scorer.score(["p"], ["c"])
    assert (info.value.requested, info.value.remaining) == (1, 0)


def test_with_budget_keeps_the_settings_and_the_cache():
    parent = Scorer(counting_model(), batch_size=3, max_batch_tokens=99, progress=True)
    child = parent.with_budget(5)
    assert (child.batch_size, child.max_batch_tokens, child.progress) == (3, 99, True)
    assert child.budget == 5 and child.cache is parent.cache and child.model is parent.model
    assert child.stats is not parent.stats


def test_affordable_counts_only_new_distinct_pairs():
    scorer = Scorer(counting_model(), budget=3)
    scorer.score(["p"], ["cached"])
    assert scorer.remaining == 2
    assert scorer.affordable("p", ["a", "cached", "a", "b", "c", "d"]) == 4  # a, b paid
    assert scorer.affordable("p", ["cached", "cached"]) == 2
    assert scorer.affordable("p", []) == 0
    assert Scorer(counting_model()).affordable("p", ["a", "b", "c"]) == 3  # unlimited
    assert Scorer(counting_model(), budget=0).affordable("p", ["a"]) == 0
    assert scorer.stats.queries == 1  # asking costs nothing


def test_batches_respect_the_row_limit():
    seen: list[list[str]] = []
    scorer = Scorer(counting_model(seen), batch_size=3)
    scorer.score(["p"] * 7, [f"r{i}" for i in range(7)])
    assert [len(batch) for batch in seen] == [3, 3, 1]
    seen.clear()
    Scorer(counting_model(seen), batch_size=1).score(["p"] * 2, ["a", "b"])
    assert [len(batch) for batch in seen] == [1, 1]


def test_batches_respect_the_padded_token_limit():
    """Callable lengths are characters of prompt plus response; rows pad to the longest."""
    seen: list[list[str]] = []
    scorer = Scorer(counting_model(seen), batch_size=64, max_batch_tokens=20)
    responses = ["a" * 10, "b" * 10, "c" * 5, "d" * 5, "e" * 5, "f" * 5, "g" * 5]
    scorer.score([""] * len(responses), responses)
    # Two rows of 10 and four of 5 fill 20 exactly; a fifth row of 5 would make 25.
    assert [[len(r) for r in batch] for batch in seen] == [[10, 10], [5, 5, 5, 5], [5]]


def test_a_row_longer_than_the_token_limit_is_scored_alone():
    seen: list[list[str]] = []
    Scorer(counting_model(seen), max_batch_tokens=4).score([""] * 3, ["x" * 9, "yy", "zz"])
    assert [[len(r) for r in batch] for batch in seen] == [[9], [2, 2]]


def test_truncated_pairs_are_counted():
    class Truncating(CallableRewardModel):
        def prepare(self, prompts, responses):
            return [
                Prepared(item.payload, item.length, truncated=len(item.payload[1]) > 3)
                for item in super().prepare(prompts, responses)
            ]

    scorer = Scorer(Truncating(lambda p, r: [0.0] * len(r)))
    scorer.score(["p"] * 3, ["short", "a", "longer"])
    assert scorer.stats.truncated == 2


# ------------------------------------------------------------- white box
@pytest.fixture(scope="module")
def planted():
    return PlantedRewardModel.default(n_vocabulary=200, n_planted=5)


def test_white_box_questions_go_to_the_model(planted):
    scorer = Scorer(CallableRewardModel(planted))
    assert scorer.supports_gradients and scorer.vocab_size == planted.vocab_size == 201
    ids = scorer.encode_response("the of and")
    assert ids == planted.encode_response("the of and") and scorer.decode(ids) == "the of and"
    assert scorer.round_trip_tokens().tolist() == list(range(201))  # every word round-trips
    assert scorer.stats.queries == 0  # none of these is a query


def test_gradients_are_one_query_and_cache_the_score(planted):
    scorer = Scorer(CallableRewardModel(planted), budget=2)
    word = sorted(planted.planted)[0]
    started = time.perf_counter()
    result = scorer.gradients("p", f"the {word}")
    elapsed = time.perf_counter() - started
    assert result.score == 1.0 and result.grad.shape == (2, planted.vocab_size)
    assert (scorer.stats.queries, scorer.stats.gradient_queries, scorer.remaining) == (1, 1, 1)
    assert 0 < scorer.stats.model_seconds <= elapsed
    assert scorer.score_one("p", f"the {word}") == 1.0 and scorer.stats.queries == 1  # cached
    scorer.gradients("p", "the")
    with pytest.raises(BudgetExhausted):
        scorer.gradients("p", "of")
    assert scorer.stats.gradient_queries == 2


def test_gradients_of_a_black_box_model_are_refused():
    scorer = Scorer(counting_model())
    assert not scorer.supports_gradients
    with pytest.raises(NotImplementedError, match=r"CallableRewardModel\(name=.* does not expose"):
        scorer.gradients("p", "r")
    assert scorer.stats.queries == 0
    with pytest.raises(NotImplementedError):  # refused before the budget is asked
        Scorer(counting_model(), budget=0).gradients("p", "r")


def test_repr_names_the_model_and_the_counters():
    scorer = Scorer(counting_model(), batch_size=8, budget=10)
    scorer.score(["p"], ["r"])
    assert repr(scorer).startswith("Scorer(model=CallableRewardModel(name=")
    assert repr(scorer).endswith(", batch_size=8, budget=10, queries=1)")


def test_outscores_needs_more_than_the_tolerance():
    from harness.scoring import SCORE_RTOL, outscores

    assert SCORE_RTOL == 1e-5
    assert not outscores(1e-5, 0.0)  # exactly the tolerance is noise
    assert outscores(1.5e-5, 0.0)  # the tolerance is relative to at least 1.0
    assert not outscores(-0.5, -1.0, margin=0.5) and outscores(-0.49, -1.0, margin=0.5)


def test_a_fresh_scorer_has_counted_nothing():
    scorer = Scorer(counting_model())
    assert scorer.stats == ScorerStats()
    assert scorer.stats.as_dict() == {
        "queries": 0,
        "gradient_queries": 0,
        "cache_hits": 0,
        "truncated": 0,
        "batches": 0,
        "model_seconds": 0.0,
    }


def test_model_time_is_the_time_spent_in_the_model():
    def slow(prompts, responses):
        time.sleep(0.01)
        return [0.0] * len(responses)

    scorer = Scorer(CallableRewardModel(slow), batch_size=1)
    started = time.perf_counter()
    scorer.score(["p", "p"], ["a", "b"])
    elapsed = time.perf_counter() - started
    assert 0.02 <= scorer.stats.model_seconds <= elapsed


def test_default_batches_are_64_rows_and_32768_padded_tokens():
    seen: list[list[str]] = []
    Scorer(counting_model(seen)).score(["p"] * 65, [f"r{i:02d}" for i in range(65)])
    assert [len(batch) for batch in seen] == [64, 1]
    seen.clear()
    # Callable lengths are characters: 3 rows of 10,923 pad to 32,769 tokens, one too many;
    # 2 rows of 16,384 pad to 32,768 exactly.
    Scorer(counting_model(seen)).score([""] * 3, [c * 10_923 for c in "abc"])
    assert [len(batch) for batch in seen] == [2, 1]
    seen.clear()
    Scorer(counting_model(seen)).score([""] * 2, [c * 16_384 for c in "ab"])
    assert [len(batch) for batch in seen] == [2]


def test_rows_of_one_character_count_as_one_token():
    seen: list[list[str]] = []
    Scorer(counting_model(seen), max_batch_tokens=3).score([""] * 4, ["a", "b", "c", "d"])
    assert [len(batch) for batch in seen] == [3, 1]


def test_score_responses_scores_each_response_to_one_prompt():
    def prompt_and_response(prompts, responses):
        return [len(p) * 10 + len(r) for p, r in zip(prompts, responses, strict=True)]

    scorer = Scorer(CallableRewardModel(prompt_and_response))
    assert scorer.score_responses("pp", ["a", "bbb"]).tolist() == [21.0, 23.0]
    assert scorer.score_one("ppp", "a") == 31.0
    assert scorer.score_responses("pp", []).tolist() == []


def test_progress_bar_only_when_asked_and_cleared_after(capsys):
    Scorer(counting_model()).score(["p"] * 3, ["a", "b", "c"])
    assert capsys.readouterr().err == ""
    Scorer(counting_model(), progress=True).score(["p"] * 3, ["a", "b", "c"])
    err = capsys.readouterr().err
    assert "scoring" in err and not err.endswith("\n")  # the finished bar is cleared


def test_a_model_returning_too_few_scores_is_an_error():
    class Short(RewardModel):
        fingerprint = "short"

        def prepare(self, prompts, responses):
            return [Prepared((p, r), len(r)) for p, r in zip(prompts, responses, strict=True)]

        def score_batch(self, items):
            return np.zeros(len(items) - 1)

        def describe(self):
            return {}

    with pytest.raises(ValueError):
        Scorer(Short()).score(["p", "p"], ["a", "b"])


def test_non_finite_score_message_clips_long_text():
    def reward(prompts, responses):
        return [math.nan] * len(responses)

    with pytest.raises(ModelOutputError) as info:
        Scorer(CallableRewardModel(reward)).score(["p" * 100], ["r" * 100])
    message = str(info.value)
    assert f"prompt '{'p' * 39}…' / response '{'r' * 39}…'" in message
    assert "try --dtype float32" in message


def test_a_model_that_reports_no_length_still_fills_batches_by_rows():
    """A length of 0 counts as 1 token, so the token limit still bounds a batch."""

    class NoLength(CallableRewardModel):
        def prepare(self, prompts, responses):
            return [Prepared(item.payload, 0) for item in super().prepare(prompts, responses)]

    seen: list[list[str]] = []
    scorer = Scorer(NoLength(counting_model(seen).fn), max_batch_tokens=2)
    scorer.score(["p"] * 5, ["a", "b", "c", "d", "e"])
    assert [len(batch) for batch in seen] == [2, 2, 1]


# ------------------------------------------------------------- sub-budgets
class CountingPlanted(PlantedRewardModel):
    """The planted model (white-box), keeping every response it scored."""

    def __init__(self, vocabulary: list[str], planted: list[str]) -> None:
        super().__init__(vocabulary, planted)
        self.calls: list[str] = []

    def __call__(self, prompts: list[str], responses: list[str]) -> list[float]:
        self.calls.extend(responses)
        return super().__call__(prompts, responses)


def test_a_sub_budget_counts_apart_and_charges_its_parent_once(planted):
    model = CountingPlanted(planted.words[1:], sorted(planted.planted))
    calls = model.calls
    attempt = Scorer(CallableRewardModel(model), budget=10)
    attempt.score_one("p", "a")
    pull = attempt.sub_budget(4)
    assert pull.remaining == 4 and pull.cache is attempt.cache
    pull.score_responses("p", ["a", "b", "c"])  # "a" is cached: free for both
    assert (pull.stats.queries, pull.stats.cache_hits, pull.remaining) == (2, 1, 2)
    # Attack.run makes its own with_budget of what it is given: a sibling of the pull,
    # with its own counters, charged to the same parent
    inner = pull.with_budget(3)
    inner.score_one("p", "d")
    inner.gradients("p", "e")
    assert (inner.stats.queries, inner.stats.gradient_queries) == (2, 1)
    assert (pull.stats.queries, pull.stats.gradient_queries) == (2, 0)
    assert (attempt.stats.queries, attempt.stats.gradient_queries) == (5, 1)
    assert attempt.stats.queries == len(calls) + attempt.stats.gradient_queries
    assert attempt.stats.batches == pull.stats.batches + 2
    assert (attempt.remaining, pull.remaining, inner.remaining) == (5, 2, 1)
    attempt.score_responses("p", ["f", "g", "h", "i"])
    assert (pull.remaining, inner.remaining) == (1, 1)  # never more than the parent has left
    with pytest.raises(BudgetExhausted):
        pull.score_responses("p", ["j", "k"])
    assert attempt.stats.queries == 9 == len(calls) + 1


def test_a_sub_budget_never_spends_what_its_parent_has_not(planted):
    attempt = Scorer(CallableRewardModel(planted), budget=3)
    pull = attempt.sub_budget(100)
    assert pull.remaining == 3 and pull.affordable("p", ["a", "b", "c", "d"]) == 3
    with pytest.raises(BudgetExhausted):
        pull.score_responses("p", ["a", "b", "c", "d"])
    assert attempt.stats.queries == pull.stats.queries == 0  # refused before scoring
    unlimited = Scorer(CallableRewardModel(planted)).sub_budget(2)
    assert unlimited.remaining == 2
    with pytest.raises(ValueError, match="budget must be >= 0"):
        attempt.sub_budget(-1)
