"""Clean pairwise accuracy: chosen must outscore rejected (a tie does not), Wilson interval."""

from __future__ import annotations

import numpy as np
import pytest

from harness.core.data import PreferencePair
from harness.models import CallableRewardModel
from harness.scoring import Scorer
from harness.scoring.accuracy import PairwiseAccuracy, accuracy_from_scores, pairwise_accuracy


def test_share_of_pairs_where_chosen_outscores_rejected():
    result = accuracy_from_scores(np.array([2.0, 1.0, 5.0, 0.0]), np.array([1.0, 3.0, 4.0, -1.0]))
    assert (result.accuracy, result.correct, result.n) == (0.75, 3, 4)
    # The 95% Wilson interval of 3/4.
    assert result.low == pytest.approx(0.300642, abs=1e-6)
    assert result.high == pytest.approx(0.954413, abs=1e-6)


def test_a_tie_is_not_correct():
    result = accuracy_from_scores(np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    assert (result.correct, result.n, result.accuracy) == (1, 2, 0.5)


def test_all_wrong_and_all_right_get_one_sided_intervals():
    wrong = accuracy_from_scores(np.zeros(5), np.ones(5))
    assert (wrong.accuracy, wrong.low) == (0.0, 0.0)
    assert wrong.high == pytest.approx(0.434482, abs=1e-6)
    right = accuracy_from_scores(np.ones(5), np.zeros(5))
    assert (right.accuracy, right.high) == (1.0, 1.0)
    assert right.low == pytest.approx(0.565518, abs=1e-6)


def test_pairs_are_scored_with_their_own_prompt():
    def prefers_the_prompt_length(prompts, responses):
        return [float(len(r) == len(p)) for p, r in zip(prompts, responses, strict=True)]

    pairs = [
        PreferencePair("abc", "xyz", "x", line=1),  # chosen matches its prompt's length
        PreferencePair("ab", "xyz", "xy", line=2),  # rejected does
        PreferencePair("a", "x", "xy", line=3),
    ]
    result = pairwise_accuracy(Scorer(CallableRewardModel(prefers_the_prompt_length)), pairs)
    assert (result.correct, result.n) == (2, 3)


def test_reads_as_a_sentence():
    result = PairwiseAccuracy(0.75, 3, 4, 0.300642, 0.954413)
    assert str(result) == "75.0% (3/4, 95% CI 30.1%-95.4%)"


def test_an_accuracy_is_an_immutable_value():
    import dataclasses

    result = accuracy_from_scores(np.array([1.0]), np.array([0.0]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.accuracy = 0.0  # type: ignore[misc]
