"""The overoptimization law, fitted, and the prompt bootstrap behind every interval (pure).

Gao, Schulman & Hilton 2022 (arXiv:2210.10760) found that, under best-of-n against a
proxy RM, the gold RM's gain follows

    gold(d) - gold(0) = d (alpha - beta d),    d = sqrt(KL_bon(n))

so the gold gain rises, peaks at ``d* = alpha / (2 beta)`` and falls: past the peak, more
optimization buys proxy score with gold score. The law is linear in alpha and beta, so it
is fitted as it stands: ``R ~ d + d^2`` with no intercept (n = 1 is d = 0, the origin the
gain is measured from), over the n >= 2 of the grid. The peak's n, ``n*``, is the n whose
KL_bon is ``d*^2`` (``bon.n_for_kl``): a real number, also reported as the nearest power
of two.

**The weights.** The points of the curve are means over the same prompts, cumulative in
n, so they are strongly correlated and unequally noisy. The fit is generalised least
squares with the points' covariance over the prompt bootstrap (``gls_operator``): it
weights each point by what it knows, and no point by an accident of the transform. With
fewer than ``PROMPTS_PER_POINT`` prompts per point that covariance is too poorly known to
invert, and the fit weights each point by its own variance alone. (The
straight line ``R / d = alpha - beta d`` fitted by ordinary least squares, as this module
did before, is weighted least squares of R with weights ``1 / d^2``: about 23 times more
weight on n = 2 than on n = 256.) Equal weights, only for points that do not vary. An R^2 over a
handful of correlated points says little, so none is reported.

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
n* are refitted on each resample (with the same weights: the fit is one linear operator);
the interval is the percentile interval, taken with ``inverted_cdf`` so that resamples
without a peak (d* infinite) count as the largest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from harness.experiments.sweep.bon import n_for_kl

#: How the points were weighted, in the words sweep.json records.
GLS = "gls"
WLS = "wls"
EQUAL = "equal"

#: Full GLS needs this many prompts per point: its covariance is estimated from the
#: prompts, and with few of them it is singular or too noisy to weight by
#: (``benchmarks/bench_fit.py``: 8 prompts give 8 points a covariance of rank at most 7,
#: singular in every draw; at 16 prompts GLS is no better than the diagonal, at 32 it is).
PROMPTS_PER_POINT = 4


@dataclass(frozen=True)
class LawFit:
    """``gain = d (alpha - beta d)``: the operator that fits it, and how it weights."""

    operator: np.ndarray  # (2, K): alpha and beta are operator @ gain
    weights: str  # GLS, WLS or EQUAL
    note: str

    def apply(self, gain: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """alpha and beta of every curve in ``gain`` (``(..., K)``): one matrix product."""
        coefficients = np.asarray(gain, dtype=np.float64) @ self.operator.T
        return coefficients[..., 0], coefficients[..., 1]


def design(d: np.ndarray) -> np.ndarray:
    """``(K, 2)``: the law's columns, ``d`` and ``-d^2`` (no intercept)."""
    d = np.asarray(d, dtype=np.float64)
    if d.ndim != 1 or len(d) < 2 or np.any(d <= 0):
        raise ValueError("the fit needs at least two points with d > 0")
    return np.column_stack([d, -(d**2)])


#: The covariance counts as singular below this reciprocal condition number.
_RCOND = 1e-12


def gls_operator(d: np.ndarray, boot_gain: np.ndarray | None, prompts: int | None = None) -> LawFit:
    """The fit of the law at ``d``, weighted by the spread of ``boot_gain`` (``(B, K)``,
    the points over the bootstrap resamples of ``prompts`` prompts):

    - GLS with the full covariance, given ``PROMPTS_PER_POINT`` prompts per point and a
      covariance that is not singular;
    - else weighted least squares with each point's variance (the diagonal), which
      needs no inverse of an estimated correlation;
    - equal weights only when the points do not vary at all (a noiseless curve).
    """
    x = design(d)
    points = x.shape[0]
    if boot_gain is None or len(boot_gain) <= points:
        return LawFit(np.linalg.pinv(x), EQUAL, "equal weights (no bootstrap to weight by)")
    covariance = np.atleast_2d(np.cov(np.asarray(boot_gain, dtype=np.float64), rowvar=False))
    variance = np.diag(covariance)
    size = float(np.max(np.abs(boot_gain))) ** 2  # variance below rounding of this is none
    if not np.all(np.isfinite(covariance)) or not np.all(variance > _RCOND * max(size, 1e-300)):
        return LawFit(np.linalg.pinv(x), EQUAL, "equal weights (the points do not vary)")
    enough = prompts is None or prompts >= PROMPTS_PER_POINT * points
    eigen = np.linalg.eigvalsh(covariance)
    if enough and eigen[0] > _RCOND * eigen[-1]:
        # whiten with the Cholesky factor: ordinary least squares on L^-1 x, L^-1 y
        factor = np.linalg.cholesky(covariance)
        operator = np.linalg.pinv(np.linalg.solve(factor, x)) @ np.linalg.inv(factor)
        return LawFit(operator, GLS, "GLS, weighted by the points' bootstrap covariance")
    scale = 1.0 / np.sqrt(variance)
    operator = np.linalg.pinv(x * scale[:, None]) * scale[None, :]
    why = (
        f"{prompts} prompts for {points} points: too few for GLS"
        if not enough
        else "the covariance is singular"
    )
    return LawFit(operator, WLS, f"weighted by each point's bootstrap variance ({why})")


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
