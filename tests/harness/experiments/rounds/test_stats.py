"""The rounds statistics on data whose answer is known."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from harness.experiments.rounds.stats import (
    Counts,
    Estimate,
    change,
    contrast,
    difference_in_differences,
    extra_prompts_needed,
    mcnemar_test,
    queries_to_first,
    rate_interval,
    trend,
)


def same(n: int, successes: int, trials: int) -> Counts:
    """``n`` prompts with identical outcomes: every resample is the same."""
    return Counts.of({f"p{i:03d}": (successes, trials) for i in range(n)})


def binomial(rates: np.ndarray, trials: int, seed: int) -> Counts:
    rng = np.random.default_rng(seed)
    return Counts.of(
        {f"p{i:03d}": (int(rng.binomial(trials, r)), trials) for i, r in enumerate(rates)}
    )


# ------------------------------------------------------------------ Counts
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


# ------------------------------------------------------------------ bootstrap
def test_rate_interval_covers_the_truth_and_is_seeded() -> None:
    counts = binomial(np.full(200, 0.3), trials=10, seed=1)
    e = rate_interval(counts)
    assert e.low < 0.3 < e.high
    assert e.low < counts.rate < e.high
    assert 0.01 < e.high - e.low < 0.1
    assert rate_interval(counts) == e
    assert rate_interval(counts, seed=7) != e


def test_identical_prompts_give_a_zero_width_interval() -> None:
    e = rate_interval(same(30, 3, 10))
    assert (e.estimate, e.low, e.high) == (0.3, 0.3, 0.3)
    assert e.resamples == 2000


def test_paired_change_of_identical_conditions_is_exactly_zero() -> None:
    counts = binomial(np.linspace(0.05, 0.95, 50), trials=8, seed=2)
    e = change(counts, counts)
    assert (e.estimate, e.low, e.high) == (0.0, 0.0, 0.0)


def test_paired_change_between_noisy_equal_conditions_covers_zero() -> None:
    rates = np.linspace(0.05, 0.95, 80)
    e = change(binomial(rates, 10, seed=3), binomial(rates, 10, seed=4))
    assert e.low < 0 < e.high


def test_pairing_removes_the_shared_prompt_variation() -> None:
    """A steady one-in-ten fall on very unequal prompts: resampled jointly, the change is
    certain; resampled apart, the prompts' spread would swamp it."""
    before = Counts.of({f"p{i}": (i % 10, 10) for i in range(100)})
    after = Counts.of({f"p{i}": (max(i % 10 - 1, 0), 10) for i in range(100)})
    paired = change(after, before)
    apart = rate_interval(before)
    assert paired.high < 0
    assert paired.high - paired.low < (apart.high - apart.low) / 2


def test_difference_in_differences_is_the_arm_change_minus_the_control_change() -> None:
    e = difference_in_differences(
        same(20, 2, 10), same(20, 5, 10), same(20, 4, 10), same(20, 5, 10)
    )
    assert e.estimate == pytest.approx(-0.2)
    assert (e.low, e.high) == pytest.approx((-0.2, -0.2))


def test_contrast_uses_the_union_of_prompts() -> None:
    a = Counts.of({"x": (1, 1), "y": (0, 1)})
    b = Counts.of({"y": (1, 1), "z": (1, 1)})
    e = contrast([(1.0, a), (-1.0, b)])
    assert e.n_prompts == 3
    assert e.estimate == pytest.approx(0.5 - 1.0)
    assert e.estimable


def test_no_trials_is_not_estimable() -> None:
    e = rate_interval(Counts.of({"x": (0, 0)}))
    assert not e.estimable
    assert "not estimable" in str(e)


# ------------------------------------------------------------------ extra prompts
def test_extra_prompts_scale_with_the_square_of_the_halfwidth() -> None:
    # Facing 0 from -0.1, the upper half is 0.15: 100 * (0.15 / 0.1)^2 = 225 in all.
    assert extra_prompts_needed(Estimate(-0.1, -0.25, 0.05, 100)) == 125
    assert extra_prompts_needed(Estimate(-0.1, -0.25, -0.05, 100)) == 0  # already clear
    assert extra_prompts_needed(Estimate(0.0, -0.1, 0.1, 100)) is None  # on the threshold
    # Two thresholds inside: the nearer to settle counts (-0.02: 100 * (0.01/0.03)^2 < 100).
    assert extra_prompts_needed(Estimate(0.01, 0.0, 0.03, 100), (0.0, -0.02)) == 0
    assert extra_prompts_needed(Estimate(0.01, -0.03, 0.03, 100), (0.0, -0.02)) == 78


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


# ------------------------------------------------------------------ queries to first finding
def test_queries_to_first_is_the_median_of_the_found_with_the_censored_share() -> None:
    per_prompt = {f"p{i}": (10 * (i + 1), None, None, 20 * (i + 1)) for i in range(30)}
    q = queries_to_first(per_prompt)
    found = [10 * (i + 1) for i in range(30)] + [20 * (i + 1) for i in range(30)]
    assert q.median == float(np.median(found))
    assert (q.found, q.attempts, q.n_prompts) == (60, 120, 30)
    assert q.censored_share == 0.5
    assert q.low < q.median < q.high


def test_queries_to_first_with_nothing_found_has_no_median() -> None:
    q = queries_to_first({"a": (None, None)})
    assert math.isnan(q.median) and q.censored_share == 1.0
