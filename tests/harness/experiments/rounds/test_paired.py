"""The paired tests rules v2 decide with: exact sign flips, Student's t, seeds."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from harness.experiments.rounds.counts import Counts
from harness.experiments.rounds.paired import EXACT_MAX, paired_test, prompt_differences


def brute_force_p_below(x: np.ndarray, t: float) -> float:
    """Every sign pattern of x - t: the share whose mean is at most the observed one."""
    y = x - t
    observed = y.mean()
    means = [np.mean(np.array(signs) * y) for signs in itertools.product((1, -1), repeat=len(y))]
    return float(np.mean(np.array(means) <= observed + 1e-12))


@pytest.mark.parametrize("seed", range(5))
def test_exact_p_values_match_brute_force_enumeration(seed: int) -> None:
    x = np.random.default_rng(seed).normal(-0.1, 0.2, 8)
    test = paired_test(x[None, :])
    assert test.method == "sign-flip"
    for t in (-0.3, -0.1, 0.0, 0.05):
        assert test.p_below(t) == pytest.approx(brute_force_p_below(x, t))
        assert test.p_above(t) == pytest.approx(brute_force_p_below(-x, -t))


def test_exact_interval_is_the_inverted_test() -> None:
    x = np.array([-0.3, -0.2, -0.25, -0.1, -0.15, 0.05, -0.2, -0.05])
    test = paired_test(x[None, :])
    # Just inside the interval the one-sided tests do not reject; just outside they do.
    assert test.p_below(test.high + 1e-6) <= 0.025 < test.p_below(test.high - 1e-6)
    assert test.p_above(test.low - 1e-6) <= 0.025 < test.p_above(test.low + 1e-6)


def test_too_few_prompts_decide_nothing() -> None:
    # 2^5 = 32 patterns: none can reach 2.5% on one side.
    test = paired_test(np.full((1, 5), -0.5))
    assert not test.estimable and "too few" in str(test)
    assert paired_test(np.full((1, 6), -0.5)).high == pytest.approx(-0.5)


def test_t_test_above_the_exact_limit_holds_its_level() -> None:
    rng = np.random.default_rng(0)
    n = EXACT_MAX + 15
    rejected = sum(paired_test(rng.normal(0, 1, (1, n))).high < 0 for _ in range(2000))
    assert paired_test(rng.normal(0, 1, (1, n))).method == "t"
    assert rejected / 2000 < 0.035  # nominal 2.5% per side


def test_seed_effect_widens_the_interval() -> None:
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 0.1, (3, 40))
    quiet = paired_test(noise - 0.1)
    loud = paired_test(noise - 0.1 + np.array([[-0.2], [0.0], [0.2]]))
    assert quiet.seeds == loud.seeds == 3
    assert quiet.high < 0 < loud.high  # a seed spread that large cannot be told from an effect
    assert loud.df < quiet.df


def test_replicates_pair_by_index_and_a_single_condition_is_shared() -> None:
    a = [Counts.of({"p": (1, 2), "q": (2, 2)}), Counts.of({"p": (0, 2), "q": (2, 2)})]
    r0 = [Counts.of({"p": (1, 2), "q": (1, 2)})]
    prompts, values = prompt_differences([(1.0, a), (-1.0, r0)])
    assert prompts == ("p", "q")
    assert values.tolist() == [[0.0, 0.5], [-0.5, 0.5]]
    # A prompt without trials in any term is left out; misaligned prompts still pair.
    b = [Counts.of({"q": (1, 2), "p": (0, 0)})]
    prompts, values = prompt_differences([(1.0, a[:1]), (-1.0, b)])
    assert prompts == ("q",) and values.tolist() == [[0.5]]


def test_zero_spread_is_decided_by_its_sign() -> None:
    test = paired_test(np.full((1, 30), -0.2))
    assert test.high == pytest.approx(-0.2) and test.p_below(0.0) == 0.0
    assert math.isclose(test.p_above(0.0), 1.0)
