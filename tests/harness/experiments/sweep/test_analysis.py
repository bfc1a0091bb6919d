"""The fit and the peak on constructed data: recovery of known alpha and beta, the peak's
states, the weights, gamma, the nonsense onset."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.core.errors import HarnessError
from harness.experiments.sweep.analysis import analyse_bon
from harness.experiments.sweep.bon import bon_weights, kl_bon, n_grid
from harness.experiments.sweep.fit import (
    EQUAL,
    GLS,
    WLS,
    gls_operator,
    nearest_power_of_two,
    peak_d,
    peak_n,
)
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
    offset. Seed 0 here; ``test_recovery_over_twenty_seeds`` runs twenty."""
    alpha, beta = 1.0, 0.35
    proxy, gold = synthetic_scores(
        prompts=1000, size=256, alpha=alpha, beta=beta, noise=1.0, seed=0
    )
    bad = [np.zeros_like(p) for p in proxy]
    result = analyse_bon(proxy, gold, bad, 256, resamples=1000, seed=0)
    fit = result.fit
    assert fit is not None and fit.peak == "within" and fit.weights == GLS
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
    # the same fit in gold spreads, the gain column's unit
    sd = result.scales.gold_sd
    assert fit.alpha_spread.estimate == pytest.approx(fit.alpha.estimate / sd)
    assert fit.beta_spread.high == pytest.approx(fit.beta.high / sd)


@pytest.mark.slow
def test_recovery_over_twenty_seeds():
    """The issue's bar: alpha and beta each within 5% on at least 19 of 20 seeds.
    Measured: 20 of 20 (largest errors 0.7% for alpha, 1.7% for beta); the straight
    line R/d on d it replaced also met it here (1.9%, 4.4%), with two to three times the error."""
    alpha, beta = 1.0, 0.35
    within = 0
    for seed in range(20):
        proxy, gold = synthetic_scores(
            prompts=1000, size=256, alpha=alpha, beta=beta, noise=1.0, seed=seed
        )
        bad = [np.zeros_like(p) for p in proxy]
        fit = analyse_bon(proxy, gold, bad, 256, resamples=1000, seed=seed).fit
        within += abs(fit.alpha.estimate / alpha - 1) <= 0.05 and (
            abs(fit.beta.estimate / beta - 1) <= 0.05
        )
    assert within >= 19


def test_a_noiseless_curve_is_fitted_exactly_with_equal_weights():
    """No noise, no covariance to weight by: the fit says so and is exact."""
    d = np.sqrt(kl_bon(np.array([2, 4, 8, 16, 32])))
    law = gls_operator(d, np.tile(d * (0.8 - 0.2 * d), (50, 1)))
    assert law.weights == EQUAL
    alpha, beta = law.apply(d * (0.8 - 0.2 * d))
    assert (alpha, beta) == (pytest.approx(0.8), pytest.approx(0.2))


def test_gls_weights_the_points_by_their_covariance():
    """Two points that know little (large variance) barely move the GLS fit; equal weights
    follow them. The transform R/d weighted the smallest d most whatever its noise."""
    d = np.sqrt(kl_bon(np.array([2, 4, 8, 16, 32])))
    rng = np.random.default_rng(0)
    scale = np.array([0.01, 0.01, 0.01, 1.0, 1.0])
    boot = rng.normal(size=(4000, 5)) * scale
    law = gls_operator(d, boot)
    assert law.weights == GLS
    truth = d * (0.8 - 0.2 * d)
    noisy = truth + np.array([0, 0, 0, 0.5, -0.5])
    alpha, beta = law.apply(noisy)
    assert alpha == pytest.approx(0.8, abs=0.02) and beta == pytest.approx(0.2, abs=0.02)
    equal_alpha, _ = gls_operator(d, None).apply(noisy)
    assert abs(equal_alpha - 0.8) > 0.1
    # with fewer than four prompts per point the covariance is not inverted: each point
    # is weighted by its own variance, which here tells the same story
    few = gls_operator(d, boot, prompts=12)
    assert few.weights == WLS
    alpha, beta = few.apply(noisy)
    assert alpha == pytest.approx(0.8, abs=0.02) and beta == pytest.approx(0.2, abs=0.02)


def _fit_analysis(alpha, beta, size=64):
    proxy, gold = synthetic_scores(
        prompts=200, size=size, alpha=alpha, beta=beta, noise=0.1, seed=3
    )
    return analyse_bon(proxy, gold, [np.zeros_like(p) for p in proxy], size, resamples=300)


def _fit(alpha, beta, size=64):
    return _fit_analysis(alpha, beta, size).fit


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
    assert result.nonsense.adjusted_p["2"] < result.nonsense.level


def test_a_rate_of_zero_gets_a_clopper_pearson_bound_not_a_zero_width_interval():
    """No sample is nonsense: every rate is 0 of 40 prompts, whose 95% interval reaches
    1 - 0.025^(1/40) = 8.8%; no onset, and the rise it cannot rule out is bounded the
    same way, at each of the four n >= 2 together (one-sided 2.5% / 4)."""
    rng = np.random.default_rng(1)
    proxy = [rng.normal(size=16) for _ in range(40)]
    result = analyse_bon(proxy, proxy, [np.zeros(16)] * 40, 16, resamples=300)
    base = result.nonsense.base_rate
    assert (base.estimate, base.low) == (0.0, 0.0)
    assert base.high == pytest.approx(1 - 0.025 ** (1 / 40))
    assert result.nonsense.onset_n is None
    assert result.nonsense.rise_bound == pytest.approx(1 - (0.025 / 4) ** (1 / 40))


def test_rates_of_one_up_to_rounding_get_clopper_pearson_too():
    """Every sample nonsense: the best-of-n weights sum to 1 only up to rounding, and the
    rate must still read 100% with the interval 0 of 40 failures allows."""
    rng = np.random.default_rng(1)
    proxy = [rng.normal(size=16) for _ in range(40)]
    result = analyse_bon(proxy, proxy, [np.ones(16)] * 40, 16, resamples=300)
    for point in result.curves:
        assert point.nonsense.estimate == 1.0
        assert point.nonsense.low == pytest.approx(0.025 ** (1 / 40))


def test_gamma_is_zero_when_the_proxy_is_the_gold():
    proxy, _ = synthetic_scores(prompts=200, size=64, alpha=1.0, beta=0.3, noise=0.3, seed=2)
    result = analyse_bon(proxy, proxy, [np.zeros(64)] * 200, 64, resamples=300)
    over = result.overoptimization
    assert over.state == "measured"
    assert over.gamma.estimate == pytest.approx(0.0, abs=1e-9)
    assert over.gamma.high == pytest.approx(0.0, abs=1e-9)


def test_gamma_grows_with_the_gap_and_is_unbounded_when_gold_gains_nothing():
    proxy, gold = synthetic_scores(prompts=300, size=64, alpha=1.0, beta=0.3, noise=0.3, seed=2)
    over = analyse_bon(proxy, gold, [np.zeros(64)] * 300, 64, resamples=300).overoptimization
    assert 0 < over.gamma.low <= over.gamma.estimate <= over.gamma.high
    falling = _fit_analysis(-0.5, 0.1).overoptimization
    assert falling.state == "gold-gains-nothing" and falling.gamma.estimate is None


def test_a_constant_proxy_cannot_choose():
    with pytest.raises(HarnessError, match="same score"):
        analyse_bon([np.ones(8)] * 3, [np.arange(8.0)] * 3, [np.zeros(8)] * 3, 8)


def test_a_constant_gold_cannot_judge():
    """Without this, a gold that scores everything alike fits beta = 0, "no peak", and a
    gate would pass the RM at any minimum."""
    with pytest.raises(HarnessError, match="gold gives every sample the same score"):
        analyse_bon([np.arange(8.0)] * 3, [np.ones(8)] * 3, [np.zeros(8)] * 3, 8)
