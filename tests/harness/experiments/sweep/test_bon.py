"""The best-of-n estimator and KL_bon: known values, exact enumeration, Monte Carlo."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.experiments.sweep.bon import (
    best_index,
    bon_matrix,
    bon_table,
    bon_weights,
    kl_bon,
    n_for_kl,
    n_grid,
)


@pytest.mark.parametrize(("n", "nats"), [(4, 0.64), (16, 1.83), (64, 3.17), (256, 4.55)])
def test_kl_bon_at_known_n(n, nats):
    assert kl_bon(n) == pytest.approx(nats, abs=0.01)


def test_kl_bon_is_zero_at_one_and_n_for_kl_inverts_it():
    assert kl_bon(1) == 0.0
    for n in (1.0, 1.5, 2.0, 19.9, 256.0, 1e6):
        assert n_for_kl(kl_bon(n)) == pytest.approx(n, rel=1e-8)
    assert n_for_kl(0.0) == 1.0
    assert math.isinf(n_for_kl(math.inf))
    assert math.isinf(n_for_kl(5000.0))


def test_the_grid_is_powers_of_two_and_the_largest_n():
    assert n_grid(1) == [1]
    assert n_grid(16) == [1, 2, 4, 8, 16]
    assert n_grid(24) == [1, 2, 4, 8, 16, 24]


def test_weights_are_a_distribution_on_the_top_positions():
    w = bon_weights([1, 2, 7, 64], 64)
    assert np.allclose(w.sum(axis=1), 1.0)
    assert np.allclose(w[0], 1 / 64)  # n = 1: every sample alike
    assert w[3, -1] == pytest.approx(1.0) and w[3, :-1].sum() == pytest.approx(0.0)
    assert np.all(w[2, :6] == 0)  # n = 7: the six lowest are never the best of seven
    # the recursion w_N = n/N, w_{i-1} = w_i (i - n) / (i - 1) gives the same weights
    n, size = 7, 64
    recursion = np.zeros(size)
    recursion[-1] = n / size
    for i in range(size, n, -1):
        recursion[i - 2] = recursion[i - 1] * (i - n) / (i - 1)
    assert np.allclose(w[2], recursion)


def _pick_value(proxy, values, subset):
    """Best-of-n's expected pick in a subset: the highest proxy, a tie broken at random
    (so the mean of the tied samples' values)."""
    top = max(proxy[i] for i in subset)
    return float(np.mean([values[i] for i in subset if proxy[i] == top]))


def _enumerated(proxy, values, n):
    """The brute-force expectation: the average pick over every n-subset."""
    subsets = itertools.combinations(range(len(proxy)), n)
    return float(np.mean([_pick_value(proxy, values, s) for s in subsets]))


def _stable_sort_estimator(proxy, values, n):
    """The estimator before tie blocks were averaged: ties to the later row."""
    order = np.argsort(proxy, kind="stable")
    return float(np.asarray(values)[order] @ bon_weights([n], len(proxy))[0])


def test_tied_samples_share_the_pick():
    """N = 3, proxy [1, 1, 0], n = 2: every pair holds one of the tied top samples, and
    the pair of both keeps either at random, so the expectation is 0.5 a + 0.5 b."""
    proxy, gold = np.array([1.0, 1.0, 0.0]), np.array([3.0, 7.0, -11.0])
    a, b = gold[0], gold[1]
    assert bon_matrix(proxy[None], gold[None], [2])[0, 0] == pytest.approx(0.5 * a + 0.5 * b)
    # the later-row rule gave a/3 + 2b/3, which depends on the order the rows were written
    assert _stable_sort_estimator(proxy, gold, 2) == pytest.approx(a / 3 + 2 * b / 3)
    assert _stable_sort_estimator(proxy, gold, 2) != pytest.approx(0.5 * a + 0.5 * b)


def test_the_estimator_does_not_depend_on_row_order():
    rng = np.random.default_rng(2)
    proxy = rng.integers(0, 3, 12).astype(float)
    gold = rng.normal(size=12)
    order = rng.permutation(12)
    ns = [1, 2, 4, 8, 12]
    assert np.allclose(
        bon_matrix(proxy[None], gold[None], ns),
        bon_matrix(proxy[order][None], gold[order][None], ns),
    )


@settings(max_examples=200, deadline=None)
@given(
    proxy=st.lists(st.integers(0, 3), min_size=1, max_size=8),
    data=st.data(),
)
def test_the_estimator_equals_brute_force_enumeration_with_tie_blocks_averaged(proxy, data):
    size = len(proxy)
    gold = data.draw(
        st.lists(
            st.floats(-10, 10, allow_nan=False, allow_infinity=False), min_size=size, max_size=size
        )
    )
    p, g = np.array(proxy, dtype=float), np.array(gold)
    ns = list(range(1, size + 1))
    estimates = bon_matrix(p[None], g[None], ns)[0]
    for n, estimate in zip(ns, estimates, strict=True):
        assert estimate == pytest.approx(_enumerated(p, g, n), abs=1e-9)


@settings(max_examples=60)
@given(
    proxy=st.lists(st.integers(0, 4), min_size=2, max_size=24),
    data=st.data(),
)
def test_the_estimator_matches_monte_carlo_over_random_subsets(proxy, data):
    """The unbiased estimate against the average over many random n-subsets, ties broken
    at random: within the Monte Carlo error (5 standard errors, exact when every pick is
    the same)."""
    size = len(proxy)
    gold = data.draw(
        st.lists(
            st.floats(-10, 10, allow_nan=False, allow_infinity=False), min_size=size, max_size=size
        )
    )
    n = data.draw(st.integers(1, size))
    seed = data.draw(st.integers(0, 2**32 - 1))
    p, g = np.array(proxy, dtype=float), np.array(gold)
    rng = np.random.default_rng(seed)
    draws = 4000
    picks = []
    for _ in range(draws):
        subset = rng.choice(size, size=n, replace=False)
        top = subset[p[subset] == p[subset].max()]
        picks.append(g[rng.choice(top)])
    picks = np.array(picks)
    estimate = bon_matrix(p[None], g[None], [n])[0, 0]
    error = picks.std(ddof=1) / math.sqrt(draws)
    assert abs(estimate - picks.mean()) <= 5 * error + 1e-9


def test_a_table_of_prompts_of_different_sizes_is_each_prompt_alone():
    rng = np.random.default_rng(1)
    proxy = [rng.normal(size=s) for s in (8, 12, 8, 20)]
    gold = [rng.normal(size=s) for s in (8, 12, 8, 20)]
    ns = [1, 2, 4, 8]
    table = bon_table(proxy, gold, ns)
    for row, (p, g) in enumerate(zip(proxy, gold, strict=True)):
        assert np.allclose(table[row], bon_matrix(p[None], g[None], ns)[0])
    assert np.allclose(table[:, 0], [g.mean() for g in gold])  # n = 1 is the plain mean


def test_best_of_all_shows_the_later_of_tied_samples_and_expects_their_mean():
    assert best_index(np.array([1.0, 3.0, 2.0, 3.0])) == 3
    proxy, gold = np.array([[1.0, 3.0, 2.0, 3.0]]), np.array([[0.0, 10.0, 0.0, 20.0]])
    assert bon_matrix(proxy, gold, [4])[0, 0] == 15.0
