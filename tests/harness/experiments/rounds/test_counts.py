"""Per-prompt counts: impossible rows refused, rates pooled over prompts."""

from __future__ import annotations

import pytest

from harness.experiments.rounds.counts import Counts


def test_counts_refuse_impossible_and_duplicate_rows() -> None:
    with pytest.raises(ValueError, match="3 successes of 2"):
        Counts.of({"a": (3, 2)})
    with pytest.raises(ValueError, match="twice"):
        Counts(("a", "a"), (0, 0), (1, 1))
    with pytest.raises(ValueError, match="length"):
        Counts(("a",), (0, 0), (1, 1))


def test_counts_pool_over_prompts_and_read_outcomes() -> None:
    counts = Counts.from_outcomes({"a": [True, False, False, False], "b": [True], "c": []})
    assert counts.rate == pytest.approx(2 / 5)  # pooled, not the mean of 1/4 and 1/1
    assert counts.any_success() == {"a": True, "b": True}  # "c" has no trials
