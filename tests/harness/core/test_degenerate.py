"""Synthetic degenerate negatives: the demo gold recipe unchanged, and kinds and counts."""

from __future__ import annotations

import hashlib
import json

import pytest

from harness.core.data import PreferencePair
from harness.core.degenerate import (
    KINDS,
    NON_ANSWERS,
    SYNTHETIC_KINDS,
    degenerate_negatives,
    kind_of,
)

TOPICS = ["cats", "dogs", "cheese", "rain", "math", "ducks", "code", "tea", "moon", "bread"]
PAIRS = [
    PreferencePair(f"Tell me a joke about {w}?", f"A {w} walks into a bar.", "meh", line=i + 1)
    for i, w in enumerate([*TOPICS, "owls", "socks"])
]


def digest(pairs: list[PreferencePair]) -> str:
    return hashlib.sha256(json.dumps([p.rejected for p in pairs]).encode()).hexdigest()


def test_the_default_recipe_is_pinned():
    # The demo gold RM trains on exactly these draws (checked byte-identical against the
    # generator as it was in harness.demo.gold_model before it moved). If this fails, the gold
    # RM's training data changed: that needs a new RECIPE_VERSION in harness.demo.build.
    out = degenerate_negatives(PAIRS, seed=1)
    assert digest(out) == "2ca258f5424675029feb35302c295319cd29b37be3e762182b7955bb76683b15"
    assert [(p.prompt, p.chosen) for p in out] == [(p.prompt, p.chosen) for p in PAIRS]
    assert all(p.meta == {"kind": "degenerate"} and p.line == 0 for p in out)


def test_the_demo_module_re_exports_the_same_generator():
    from harness.demo import gold_model

    assert gold_model.degenerate_negatives is degenerate_negatives
    assert gold_model.NON_ANSWERS is NON_ANSWERS


def test_deterministic_for_a_seed_and_different_across_seeds():
    assert degenerate_negatives(PAIRS, seed=3) == degenerate_negatives(PAIRS, seed=3)
    assert digest(degenerate_negatives(PAIRS, seed=3)) != digest(degenerate_negatives(PAIRS, 4))


@pytest.mark.parametrize("count", [0, 1, 5, 12, 31])
def test_count_gives_exactly_that_many_cycling_through_the_pairs(count):
    out = degenerate_negatives(PAIRS, seed=0, count=count, kinds=SYNTHETIC_KINDS)
    assert len(out) == count
    assert [p.prompt for p in out] == [PAIRS[i % len(PAIRS)].prompt for i in range(count)]


def test_a_shorter_count_is_a_prefix_of_a_longer_one():
    short = degenerate_negatives(PAIRS, seed=2, count=7)
    assert degenerate_negatives(PAIRS, seed=2, count=20)[:7] == short


def test_kinds_select_what_is_made():
    out = degenerate_negatives(PAIRS, seed=0, count=40, kinds=SYNTHETIC_KINDS)
    for index, pair in enumerate(out):
        kind = kind_of(index, SYNTHETIC_KINDS)
        assert kind in SYNTHETIC_KINDS
        assert pair.rejected not in NON_ANSWERS
        if kind == "repetition":
            assert len(set(pair.rejected.split())) == 1 and len(pair.rejected.split()) >= 3
        elif kind == "padding":
            assert pair.rejected.startswith(pair.chosen + " ")
    only = degenerate_negatives(PAIRS, seed=0, count=6, kinds=["non-answer"])
    assert all(p.rejected in NON_ANSWERS for p in only)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="unknown degenerate kinds"):
        degenerate_negatives(PAIRS, kinds=["gibberish"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="kinds is empty"):
        degenerate_negatives(PAIRS, kinds=[])
    with pytest.raises(ValueError, match="no pairs"):
        degenerate_negatives([], count=3)
    with pytest.raises(ValueError, match="count"):
        degenerate_negatives(PAIRS, count=-1)
    assert degenerate_negatives([]) == []
    assert set(SYNTHETIC_KINDS) < set(KINDS)
