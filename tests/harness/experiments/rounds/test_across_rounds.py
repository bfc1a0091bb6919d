"""McNemar's test and the prompt-clustered trend on data whose answer is known."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from harness.experiments.rounds.across_rounds import mcnemar_test, trend
from harness.experiments.rounds.counts import Counts
from tests.harness.experiments.rounds.counts_data import binomial, same


# ------------------------------------------------------------------ McNemar
def test_mcnemar_matches_the_hand_computed_exact_p() -> None:
    # 1 prompt lost its success, 6 gained one: p = 2 * (C(7,0) + C(7,1)) / 2^7 = 0.125.
    before = {**{f"b{i}": (1, 2) for i in range(1)}, **{f"a{i}": (0, 2) for i in range(6)}}
    after = {**{f"b{i}": (0, 2) for i in range(1)}, **{f"a{i}": (2, 2) for i in range(6)}}
    both = {f"s{i}": (1, 3) for i in range(4)}
    neither = {f"n{i}": (0, 3) for i in range(5)}
    test = mcnemar_test(
        Counts.of({**before, **both, **neither}), Counts.of({**after, **both, **neither})
    )
    assert (test.before_only, test.after_only, test.both, test.neither) == (1, 6, 4, 5)
    assert test.p_value == pytest.approx(0.125)


def test_mcnemar_without_discordant_prompts_is_one() -> None:
    counts = Counts.of({"a": (1, 2), "b": (0, 2)})
    assert mcnemar_test(counts, counts).p_value == 1.0


def test_mcnemar_only_pairs_prompts_tried_in_both() -> None:
    test = mcnemar_test(
        Counts.of({"a": (1, 1), "b": (1, 1)}), Counts.of({"a": (0, 1), "c": (1, 1)})
    )
    assert test.n_prompts == 1


# ------------------------------------------------------------------ trend
def decreasing(n_prompts: int, trials: int) -> dict[int, Counts]:
    rates = {0: 0.6, 1: 0.45, 2: 0.3, 3: 0.2}
    return {r: binomial(np.full(n_prompts, p), trials, seed=10 + r) for r, p in rates.items()}


def test_trend_on_a_decreasing_sequence_has_an_odds_ratio_below_one() -> None:
    t = trend(decreasing(60, 10))
    assert t.estimable and t.reason is None
    assert t.low < t.odds_ratio < t.high < 1
    assert t.p_value < 1e-6
    assert (t.n_prompts, t.n_rounds, t.n_trials) == (60, 4, 2400)


def test_clustered_errors_exceed_naive_ones_when_prompts_are_correlated() -> None:
    """Each prompt fails all its trials from its own round on: the ten trials of a prompt
    and round are one observation, and the clustered error says so."""
    per_round = {
        r: Counts.of({f"p{i}": (10 if r < i % 5 else 0, 10) for i in range(40)}) for r in range(4)
    }
    t = trend(per_round)
    assert t.estimable and t.odds_ratio < 1
    assert t.se > 1.5 * t.naive_se


@pytest.mark.parametrize(
    ("per_round", "reason"),
    [
        ({0: same(5, 0, 4), 1: same(5, 0, 4)}, "every trial failed"),
        ({0: same(5, 4, 4), 1: same(5, 4, 4)}, "every trial succeeded"),
        ({0: same(5, 4, 4), 1: same(5, 1, 4), 2: same(5, 0, 4)}, "separate"),
        ({0: same(5, 1, 4)}, "one round"),
        ({0: Counts.of({"a": (1, 4)}), 1: Counts.of({"a": (2, 4)})}, "one prompt"),
        ({0: same(5, 0, 0)}, "no trials"),
    ],
)
def test_trend_that_cannot_be_estimated_says_why_without_raising(
    per_round: dict[int, Counts], reason: str
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a leaked statsmodels warning would fail here
        t = trend(per_round)
    assert not t.estimable
    assert t.reason is not None and reason in t.reason
    assert math.isnan(t.odds_ratio)


def flat(n_prompts: int, trials: int) -> dict[int, Counts]:
    return {r: binomial(np.full(n_prompts, 0.6), trials, seed=20 + r) for r in range(4)}


def test_interaction_trend_compares_the_arm_with_the_control_in_one_model() -> None:
    faster = trend(decreasing(60, 10), control=flat(60, 10))
    assert faster.estimable and faster.high < 1  # the arm falls faster than the control
    same_pace = trend(decreasing(60, 10), control=decreasing(60, 10))
    assert same_pace.low < 1 < same_pace.high
    assert same_pace.odds_ratio == pytest.approx(1.0)


def test_trend_interval_uses_t_with_prompts_minus_one_degrees_of_freedom() -> None:
    from scipy import stats

    t = trend(decreasing(8, 10))
    q = stats.t.ppf(0.975, 7)
    slope = math.log(t.odds_ratio)
    assert math.log(t.high) - slope == pytest.approx(q * t.se)
    assert t.p_value == pytest.approx(2 * stats.t.sf(abs(slope / t.se), 7))
