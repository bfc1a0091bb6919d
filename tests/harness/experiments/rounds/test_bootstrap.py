"""The prompt-bootstrap intervals on data whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from harness.experiments.rounds.bootstrap import (
    change,
    contrast,
    difference_in_differences,
    rate_interval,
)
from harness.experiments.rounds.counts import Counts
from tests.harness.experiments.rounds.counts_data import binomial, same


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
