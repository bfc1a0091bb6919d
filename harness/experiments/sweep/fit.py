"""The overoptimization law, fitted, and the prompt bootstrap behind every interval (pure).

Gao, Schulman & Hilton 2022 (arXiv:2210.10760) found that, under best-of-n against a
proxy RM, the gold RM's gain follows

    gold(d) - gold(0) = d (alpha - beta d),    d = sqrt(KL_bon(n))

so the gold gain rises, peaks at ``d* = alpha / (2 beta)`` and falls: past the peak, more
optimization buys proxy score with gold score. Dividing by d makes it a straight line,
``R / d = alpha - beta d``, fitted here by ordinary least squares over the n >= 2 of the
grid (n = 1 is d = 0, the origin the gain is measured from). The peak's n, ``n*``, is the
n whose KL_bon is ``d*^2`` (``bon.n_for_kl``): a real number, also reported as the nearest
power of two.

**When there is no peak.** ``alpha`` is the fitted gain's slope at d = 0. With
``alpha < 0`` (or ``alpha = 0 < beta``) the gain falls from the start: n* = 1, whatever
the sign of ``beta`` (a fall that a negative ``beta`` would turn round far out is still a
fall where best-of-n starts; calling it "no peak" would let a gate pass an RM whose
proxy picks get worse by gold from n = 2 on). With ``beta <= 0 <= alpha`` the fitted gain
never turns down: no peak (n* unbounded). With n* beyond the largest n sampled, the peak
is an extrapolation of the fitted curve: the data only say the gain was still rising at
the largest n.

**Intervals** resample prompts (all of a prompt's samples together) with replacement: a
resample is a vector of counts per prompt, and every per-n mean of every quantity is one
matrix product with it, so thousands of resamples cost milliseconds. alpha, beta, d* and
n* are refitted on each resample; the interval is the percentile interval, taken with
``inverted_cdf`` so that resamples without a peak (d* infinite) count as the largest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from harness.experiments.sweep.bon import n_for_kl


@dataclass(frozen=True)
class LineFit:
    """``R / d = alpha - beta d`` by least squares; ``r_squared`` of that line."""

    alpha: float
    beta: float
    r_squared: float | None


def fit_line(d: np.ndarray, gain: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """alpha and beta of ``gain / d = alpha - beta d``, fitted along the last axis.

    ``d`` is ``(K,)`` (all > 0), ``gain`` is ``(..., K)``: one fit per leading index, so a
    whole bootstrap is one call.
    """
    d = np.asarray(d, dtype=np.float64)
    if d.ndim != 1 or len(d) < 2 or np.any(d <= 0):
        raise ValueError("fit_line needs at least two points with d > 0")
    y = np.asarray(gain, dtype=np.float64) / d
    x_mean = d.mean()
    x_centred = d - x_mean
    slope = (y * x_centred).sum(axis=-1) / (x_centred**2).sum()
    alpha = y.mean(axis=-1) - slope * x_mean
    return alpha, -slope


def fit_gain(d: np.ndarray, gain: np.ndarray) -> LineFit:
    """The fit of one curve, with the R^2 of the straight line it is fitted as."""
    alpha, beta = fit_line(d, gain)
    y = np.asarray(gain, dtype=np.float64) / d
    residual = y - (alpha - beta * d)
    total = ((y - y.mean()) ** 2).sum()
    r_squared = float(1 - (residual**2).sum() / total) if total > 0 else None
    return LineFit(float(alpha), float(beta), r_squared)


def peak_d(alpha: np.ndarray | float, beta: np.ndarray | float) -> np.ndarray:
    """``d* = alpha / (2 beta)``; 0 where the gain falls at once (``alpha < 0``, or
    ``alpha <= 0 < beta``), inf where it never turns down (``beta <= 0 <= alpha``)."""
    alpha = np.asarray(alpha, dtype=np.float64)
    beta = np.asarray(beta, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        vertex = alpha / (2.0 * np.where(beta > 0, beta, 1.0))
    d = np.where(beta > 0, vertex, np.where(alpha < 0, 0.0, np.inf))
    return np.maximum(d, 0.0)


def peak_n(d_star: float) -> float:
    """The real n whose KL_bon equals ``d_star ** 2`` (1 at d* = 0, inf for no peak)."""
    if not math.isfinite(d_star):
        return math.inf
    return n_for_kl(d_star**2)


def nearest_power_of_two(n: float) -> int | None:
    """2 ** round(log2 n); None for an unbounded n."""
    if not math.isfinite(n):
        return None
    return int(2 ** round(math.log2(max(n, 1.0))))


# ------------------------------------------------------------------ the prompt bootstrap
def resample_counts(prompts: int, resamples: int, seed: int) -> np.ndarray:
    """``(resamples, prompts)``: how often each prompt is drawn in each resample."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(prompts, np.full(prompts, 1.0 / prompts), size=resamples)


def resampled_means(table: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Per resample, the mean over prompts of each column of ``table`` (P, K) -> (B, K)."""
    return counts @ np.asarray(table, dtype=np.float64) / counts.sum(axis=1, keepdims=True)


def percentile_interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    """The percentile interval along the first axis; infinite values count as the largest."""
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(np.asarray(values), [tail, 1.0 - tail], method="inverted_cdf")
    return float(low), float(high)
