"""The fit and the peak on constructed data: recovery of known alpha and beta, the peak's
states, the nonsense onset."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.core.errors import HarnessError
from harness.experiments.sweep.analysis import analyse_bon
from harness.experiments.sweep.bon import bon_weights, kl_bon, n_grid
from harness.experiments.sweep.fit import fit_gain, nearest_power_of_two, peak_d, peak_n
from tests.harness.experiments.sweep.synthetic import gold_by_rank, synthetic_scores


def test_the_constructed_gold_follows_the_law_exactly_in_expectation():
    size, alpha, beta = 64, 1.0, 0.35
    ns = n_grid(size)
    curve = bon_weights(ns, size) @ gold_by_rank(size, alpha, beta)
    d = np.sqrt(kl_bon(np.array(ns)))
    assert np.allclose(curve, d * (alpha - beta * d), atol=1e-9)


def test_the_fit_recovers_alpha_beta_and_n_star_from_noisy_samples():
    """1,000 prompts x 256 samples (the benchmark's size), per-sample gold noise of
    standard deviation 1, about the whole range of the expected curve (0.7), and a prompt
    offset. Measured once over 20 seeds: alpha within 2.2%, beta within 5% in 19 of 20
    (at most 6.7%), n* within one power of two in all 20. This is seed 0."""
    alpha, beta = 1.0, 0.35
    proxy, gold = synthetic_scores(
        prompts=1000, size=256, alpha=alpha, beta=beta, noise=1.0, seed=0
    )
    bad = [np.zeros_like(p) for p in proxy]
    result = analyse_bon(proxy, gold, bad, 256, resamples=1000, seed=0)
    fit = result.fit
    assert fit is not None and fit.peak == "within"
    assert fit.alpha.estimate == pytest.approx(alpha, rel=0.05)
    assert fit.beta.estimate == pytest.approx(beta, rel=0.05)
    true_n = peak_n(float(peak_d(alpha, beta)))
    assert abs(math.log2(fit.n_star.estimate) - math.log2(true_n)) <= 1
    assert fit.n_star_power_of_two == nearest_power_of_two(true_n)
    # the intervals hold the truth, and n* lies inside its own interval
    assert fit.alpha.low <= alpha <= fit.alpha.high
    assert fit.beta.low <= beta <= fit.beta.high
    assert fit.n_star.low <= fit.n_star.estimate <= fit.n_star.high
    assert fit.gap is not None and fit.gap.gap > 0  # past n = 1 the proxy gains more than gold


def test_a_noiseless_curve_is_fitted_exactly():
    d = np.sqrt(kl_bon(np.array([2, 4, 8, 16, 32])))
    line = fit_gain(d, d * (0.8 - 0.2 * d))
    assert (line.alpha, line.beta) == (pytest.approx(0.8), pytest.approx(0.2))
    assert line.r_squared == pytest.approx(1.0)


def _fit(alpha, beta, size=64):
    proxy, gold = synthetic_scores(
        prompts=200, size=size, alpha=alpha, beta=beta, noise=0.1, seed=3
    )
    return analyse_bon(proxy, gold, [np.zeros_like(p) for p in proxy], size, resamples=300).fit


def test_no_peak_when_gold_never_turns_down():
    fit = _fit(0.5, -0.1)
    assert fit.peak == "none" and fit.n_star.estimate is None
    assert fit.n_star.high is None  # unbounded
    assert "no peak" in fit.message and fit.gap is None


def test_a_peak_beyond_the_largest_n_is_said_to_be_an_extrapolation():
    fit = _fit(1.0, 0.05)  # d* = 10: n* astronomically beyond 64
    assert fit.peak == "beyond"
    assert "no peak within range" in fit.message and "64" in fit.message


def test_gold_that_falls_from_the_start():
    fit = _fit(-0.5, 0.1)
    assert fit.peak == "start" and fit.n_star.estimate == 1.0


def test_gold_that_falls_and_flattens_peaks_at_the_start():
    """alpha < 0 and beta < 0: the fitted gain falls from n = 1 and would turn up only far
    beyond the sampled n. That is a peak at n = 1, not "no peak" (which a gate reads as an
    RM that survives every n)."""
    fit = _fit(-0.5, -0.1)
    assert fit.alpha.estimate < 0 and fit.beta.estimate < 0
    assert fit.peak == "start" and fit.n_star.estimate == 1.0
    assert fit.n_star.high is not None  # no resample reads it as unbounded either


def test_the_peak_by_the_signs_of_alpha_and_beta():
    assert peak_d(1.0, 0.25) == pytest.approx(2.0)
    assert peak_d(-1.0, 0.25) == 0.0 and peak_d(0.0, 0.25) == 0.0
    assert peak_d(-1.0, -0.25) == 0.0  # falls first: n* = 1, whatever beta
    assert math.isinf(peak_d(1.0, -0.25)) and math.isinf(peak_d(0.0, 0.0))


def test_too_few_n_gives_no_fit_and_says_why():
    proxy, gold = synthetic_scores(prompts=50, size=4, alpha=1, beta=0.3, noise=0.1, seed=0)
    result = analyse_bon(proxy, gold, [np.zeros(4)] * 50, 4, resamples=200)
    assert result.fit is None and "needs 3" in result.fit_note
    assert [c.n for c in result.curves] == [1, 2, 4]


def test_the_nonsense_onset_is_where_the_picks_turn_to_nonsense():
    """The proxy's top eighth of each prompt's samples is nonsense: picks turn nonsense
    once n is large enough that the best of n is usually in the top eighth."""
    rng = np.random.default_rng(0)
    proxy = [rng.normal(size=64) for _ in range(300)]
    bad = [p >= np.quantile(p, 7 / 8) for p in proxy]
    result = analyse_bon(proxy, proxy, bad, 64, resamples=500)
    assert result.nonsense.base_rate.estimate == pytest.approx(1 / 8, abs=1e-9)
    rates = [c.nonsense.estimate for c in result.curves]
    assert rates == sorted(rates) and rates[-1] == 1.0
    assert result.nonsense.onset_n == 2


def test_a_constant_proxy_cannot_choose():
    with pytest.raises(HarnessError, match="same score"):
        analyse_bon([np.ones(8)] * 3, [np.arange(8.0)] * 3, [np.zeros(8)] * 3, 8)


def test_a_constant_gold_cannot_judge():
    """Without this, a gold that scores everything alike fits beta = 0, "no peak", and a
    gate would pass the RM at any minimum."""
    with pytest.raises(HarnessError, match="gold gives every sample the same score"):
        analyse_bon([np.arange(8.0)] * 3, [np.ones(8)] * 3, [np.zeros(8)] * 3, 8)
