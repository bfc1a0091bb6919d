"""The prompt split: deterministic by seed, order-blind, disjoint, and overlap refused."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.core.data import PreferencePair
from harness.core.errors import HarnessError
from harness.experiments.rounds.split import (
    PromptSplit,
    check_disjoint,
    prompt_key,
    split_prompts,
)

PROMPTS = [f"Tell me a joke about topic {i}." for i in range(20)]


def pairs_of(prompts: list[str]) -> list[PreferencePair]:
    return [PreferencePair(p, "good", "bad", line=i + 1) for i, p in enumerate(prompts)]


def test_same_seed_same_split_whatever_the_order():
    shuffled = PROMPTS[:]
    random.Random(5).shuffle(shuffled)
    a = split_prompts(pairs_of(PROMPTS), seed=3)
    b = split_prompts(pairs_of(shuffled + PROMPTS[:4]), seed=3)  # and duplicates
    assert a == b
    assert split_prompts(PROMPTS, seed=3) == a  # prompt strings work as well as pairs
    assert split_prompts(PROMPTS, seed=4) != a


def test_the_sides_partition_the_prompts_in_the_share_asked():
    split = split_prompts(pairs_of(PROMPTS), seed=0)
    assert len(split.evaluation) == 10 and len(split.attack) == 10
    assert sorted(split.attack + split.evaluation) == sorted(PROMPTS)
    assert list(split.attack) == sorted(split.attack)
    assert len(split_prompts(PROMPTS, eval_share=0.25, seed=0).evaluation) == 5
    # each side keeps at least one prompt
    tiny = split_prompts(PROMPTS[:2], eval_share=0.1, seed=0)
    assert len(tiny.evaluation) == 1 and len(tiny.attack) == 1
    assert len(split_prompts(PROMPTS[:2], eval_share=0.9, seed=0).attack) == 1


@given(st.integers(0, 2**32), st.floats(0.05, 0.95))
def test_disjoint_and_complete_for_any_seed(seed, share):
    split = split_prompts(PROMPTS, eval_share=share, seed=seed)
    assert not set(split.attack) & set(split.evaluation)
    assert set(split.attack) | set(split.evaluation) == set(PROMPTS)
    check_disjoint([], split.evaluation, split.attack)


def test_spellings_of_one_prompt_stay_on_one_side():
    prompts = [*PROMPTS, "  Tell me a joke about   topic 3.\n", "Tell me a joke about topic 3. "]
    split = split_prompts(prompts, seed=1)
    side = split.attack if split.is_attack(PROMPTS[3]) else split.evaluation
    assert {p for p in prompts if prompt_key(p) == PROMPTS[3]} <= set(side)
    assert split.is_attack(PROMPTS[3]) != split.is_evaluation(" Tell me a joke about topic 3.")
    assert prompt_key(" a \t b\n\nc ") == "a b c"
    assert prompt_key("A b") != prompt_key("a b")  # case is kept


def test_json_round_trip():
    split = split_prompts(PROMPTS, seed=9)
    assert PromptSplit.from_json(json.loads(json.dumps(split.to_json()))) == split


@pytest.mark.parametrize(
    "data, message",
    [
        ({"attack": ["a"], "evaluation": ["b"]}, "needs the fields"),
        ({"attack": ["a"], "evaluation": [1], "seed": 0}, "prompt strings"),
        ({"attack": ["a"], "evaluation": ["b"], "seed": "0"}, "integer seed"),
        ({"attack": ["a", "b"], "evaluation": ["b "], "seed": 0}, "1 evaluation prompts are also"),
    ],
)
def test_from_json_refuses_bad_splits(data, message):
    with pytest.raises(HarnessError, match=message):
        PromptSplit.from_json(data)


def test_bad_arguments():
    with pytest.raises(HarnessError, match="at least 2 distinct prompts, got 1"):
        split_prompts(["one", " one "], seed=0)
    for share in (0.0, 1.0, -0.5):
        with pytest.raises(HarnessError, match="eval_share"):
            split_prompts(PROMPTS, eval_share=share, seed=0)


def test_overlap_is_refused_with_the_count_and_an_example():
    split = split_prompts(PROMPTS, seed=0)
    train = pairs_of(["unrelated prompt", f"  {split.evaluation[1]}", split.evaluation[0] + "\n"])
    with pytest.raises(HarnessError) as info:
        check_disjoint(train, split.evaluation, split.attack)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("2 evaluation prompts also appear in the training data (e.g. '")
    assert "attack prompts" not in message
    check_disjoint(pairs_of(["unrelated prompt", *split.attack]), split.evaluation, split.attack)


def test_overlap_with_the_attack_prompts_is_refused_too():
    long = "x" * 200
    with pytest.raises(
        HarnessError, match=r"1 evaluation prompts are also attack prompts \(e\.g\. 'x{57}\.\.\.'\)"
    ):
        check_disjoint(["a"], ["b", long], ["c", long])
