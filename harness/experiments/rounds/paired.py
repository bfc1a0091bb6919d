"""The tests rules v2 decide with: per-prompt differences, a sign-flip test, seeds.

Every quantity a rule reads is a contrast on the evaluation prompts: per prompt p, a
difference ``x_p`` (an arm's rate at round R minus its rate at round 0, or that change
minus the ``clean`` arm's), averaged over the training replicates. Every prompt weighs
the same: the prompt is the unit (``counts``), and a prompt with many attempts is not
more of the population than one with few.

**Why not the percentile bootstrap.** With 8 prompts a percentile bootstrap under-covers
(about 89% for a nominal 95% on smooth statistics, worse for rare events), and when every
prompt has the same outcome its interval has zero width. The decisions use tests whose
level holds at small n instead:

- **Exact sign-flip test** (n <= ``EXACT_MAX`` prompts). Under "the centre is t", the
  signs of ``x_p - t`` are exchangeable; the p-value counts the 2^n sign patterns whose
  mean is at least as extreme. Flipping the prompts in a set A moves the mean past the
  observed one exactly when the mean of ``x`` over A lies on the other side of t, so the
  test inverts in closed form: the one-sided 1 - alpha bound is an order statistic of
  the 2^n - 1 subset means. Below 6 prompts no pattern count reaches 2.5%: nothing is
  decided (the interval is not estimable).
- **Student's t on the prompts** (n > ``EXACT_MAX``): the mean of ``x_p`` with its
  standard error and a t(n - 1) reference, the large-sample form of the same test.
- **Seeds.** With K >= 2 training replicates per arm, a replicate's model is better or
  worse everywhere at once, which prompt flips cannot see. The variance of the mean is
  then taken from the two-way table prompts x replicates, ``(MS_prompt + MS_seed) /
  (n K)``: the prompts' term plus the variance of the replicates' means over K, with
  Satterthwaite's degrees of freedom. It counts the residual twice, so it errs wide; the
  unbiased ``- MS_residual`` form held only 3.7% per side for a nominal 2.5% in
  ``simulate`` when the seed effect dominated. At small n the decision takes the more
  conservative of this and the sign-flip test. With K = 3 and a
  large seed effect the degrees of freedom fall towards
  2: three seeds cannot say more than that.

A ``PairedTest`` is what one contrast gives: the estimate, the two-sided interval at the
verdict's confidence (the set of centres the two one-sided tests do not reject), and the
one-sided p-values against any threshold (rule 1 adjusts them with Holm's method).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from harness.experiments.rounds.counts import Counts

__all__ = ["EXACT_MAX", "PairedTest", "paired_test", "prompt_differences"]

EXACT_MAX = 12  # prompts up to which the sign-flip test enumerates every pattern (4,095)


# ------------------------------------------------------------------ the differences
def prompt_differences(
    terms: Sequence[tuple[float, Sequence[Counts]]],
) -> tuple[tuple[str, ...], np.ndarray]:
    """Per prompt and replicate, ``sum(coef * rate)`` over ``terms``.

    Each term is a coefficient and the term's replicates (one ``Counts`` when the
    condition has none, e.g. round 0). Replicate k of one term is paired with replicate k
    of every other (the same training seed), up to the fewest any term has; a term with
    one replicate is shared by all.
    A prompt counts only when it has trials in every term and replicate. Returns the
    prompts and an array of shape (K, n).
    """
    if not terms:
        return (), np.zeros((1, 0))
    shared = terms[0][1][0].prompts
    if all(c.prompts == shared for _, reps in terms for c in reps):
        return _aligned_differences(terms, shared)
    several = [len(reps) for _, reps in terms if len(reps) > 1]
    k = min(several, default=1)  # an arm that stopped early may have fewer replicates
    rates: list[list[Mapping[str, float]]] = []
    for _, reps in terms:
        per = [c.per_prompt_rates() for c in reps]
        rates.append(per[:k] if len(per) > 1 else per * k)
    prompts = sorted(set.intersection(*(set(r) for per in rates for r in per)))
    values = np.zeros((k, len(prompts)))
    for (coef, _), per in zip(terms, rates, strict=True):
        for i in range(k):
            values[i] += coef * np.array([per[i][p] for p in prompts])
    return tuple(prompts), values


def _aligned_differences(
    terms: Sequence[tuple[float, Sequence[Counts]]], prompts: tuple[str, ...]
) -> tuple[tuple[str, ...], np.ndarray]:
    """``prompt_differences`` when every ``Counts`` lists the same prompts (the usual
    case, and the simulation's): arrays throughout."""
    several = [len(reps) for _, reps in terms if len(reps) > 1]
    k = min(several, default=1)
    values = np.zeros((k, len(prompts)))
    keep = np.ones(len(prompts), dtype=bool)
    for coef, reps in terms:
        chosen = reps[:k] if len(reps) > 1 else list(reps) * k
        for i, c in enumerate(chosen):
            s, t = c.arrays()
            keep &= t > 0
            with np.errstate(divide="ignore", invalid="ignore"):
                values[i] += coef * (s / np.where(t > 0, t, 1))
    return tuple(itertools.compress(prompts, keep.tolist())), values[:, keep]


# ------------------------------------------------------------------ the test
@dataclass(frozen=True)
class PairedTest:
    """One contrast's test: the mean of per-prompt differences, its interval, p-values."""

    estimate: float
    low: float  # NaN: too few prompts to decide anything at this confidence
    high: float
    n_prompts: int
    seeds: int
    method: str  # "sign-flip", "t" or "sign-flip+t" (both, the more conservative)
    confidence: float
    values: tuple[float, ...]  # the per-prompt differences, averaged over seeds
    standard_error: float = math.nan  # of the t test (NaN: not used)
    df: float = math.nan

    @property
    def estimable(self) -> bool:
        return all(math.isfinite(x) for x in (self.estimate, self.low, self.high))

    def p_above(self, t: float) -> float:
        """One-sided p-value of "the centre is at most t" (small: it lies above t)."""
        return _p_value(self, t, above=True)

    def p_below(self, t: float) -> float:
        """One-sided p-value of "the centre is at least t" (small: it lies below t)."""
        return _p_value(self, t, above=False)

    def __str__(self) -> str:
        if not math.isfinite(self.estimate):
            return f"not estimable ({self.n_prompts} prompts)"
        if not self.estimable:
            return (
                f"{self.estimate:+.3f}, no {self.confidence:.0%} interval: "
                f"{self.n_prompts} prompts are too few to decide"
            )
        seeds = f" x {self.seeds} seeds" if self.seeds > 1 else ""
        return (
            f"{self.estimate:+.3f} [{self.low:+.3f}, {self.high:+.3f}], "
            f"{self.n_prompts} prompts{seeds} ({self.method})"
        )


def paired_test(values: np.ndarray, *, confidence: float = 0.95) -> PairedTest:
    """The test of the centre of per-prompt differences ``values`` (K replicates x n)."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    k, n = values.shape
    means = values.mean(axis=0)
    estimate = float(means.mean()) if n else math.nan
    alpha = (1.0 - confidence) / 2
    method, low, high, se, df = "t", math.nan, math.nan, math.nan, math.nan
    if n and n <= EXACT_MAX:
        method = "sign-flip"
        low, high = _exact_bounds(means, alpha)
    if n >= 2 and (n > EXACT_MAX or k > 1):
        se, df = _standard_error(values)
        q = _t_quantile(1 - alpha, df)
        t_low, t_high = estimate - q * se, estimate + q * se
        if method == "sign-flip":
            method = "sign-flip+t"
            low, high = min(low, t_low), max(high, t_high)
        else:
            low, high = t_low, t_high
    return PairedTest(estimate, low, high, n, k, method, confidence, tuple(means.tolist()), se, df)


# ------------------------------------------------------------------ sign flips
@functools.lru_cache(maxsize=EXACT_MAX + 1)
def _subsets(n: int) -> np.ndarray:
    """Every non-empty subset of n prompts as weights summing to 1 (2^n - 1 rows)."""
    codes = np.arange(1, 2**n)
    member = ((codes[:, None] >> np.arange(n)) & 1).astype(float)
    return member / member.sum(axis=1, keepdims=True)


def _exact_bounds(means: np.ndarray, alpha: float) -> tuple[float, float]:
    """The sign-flip test's one-sided 1 - alpha bounds, from the sorted subset means.

    "The centre lies above t" is rejected-null at level alpha when at most
    ``c = floor(alpha 2^n) - 1`` subset means are <= t, i.e. for t below the (c+1)-th
    smallest subset mean; the upper bound mirrors it.
    """
    n = len(means)
    c = math.floor(alpha * 2**n + 1e-12) - 1
    if c < 0:
        return math.nan, math.nan
    subset_means = np.sort(_subsets(n) @ means)
    return float(subset_means[c]), float(subset_means[-1 - c])


def _exact_p(means: np.ndarray, t: float, *, above: bool) -> float:
    n = len(means)
    subset_means = _subsets(n) @ means
    tol = 1e-12
    extreme = (subset_means <= t + tol) if above else (subset_means >= t - tol)
    return float((1 + extreme.sum()) / 2**n)


# ------------------------------------------------------------------ Student's t
def _standard_error(values: np.ndarray) -> tuple[float, float]:
    """The standard error of the grand mean and its degrees of freedom (module doc)."""
    k, n = values.shape
    means = values.mean(axis=0)
    if k == 1:
        return float(np.std(means, ddof=1) / math.sqrt(n)), float(n - 1)
    grand = values.mean()
    ms_prompt = k * np.sum((means - grand) ** 2) / (n - 1)
    seed_means = values.mean(axis=1)
    ms_seed = n * np.sum((seed_means - grand) ** 2) / (k - 1)
    # The seed term MS_seed / (n K) is var(seed means) / K; with MS_prompt / (n K) beside
    # it, the residual is counted twice: conservative by sigma_e^2 / (n K), which keeps the
    # level where the unbiased combination (minus MS_residual) did not (``simulate``).
    variance = (ms_prompt + ms_seed) / (n * k)
    terms = ms_prompt**2 / (n - 1) + ms_seed**2 / (k - 1)
    df = (ms_prompt + ms_seed) ** 2 / terms if terms > 0 else float(n - 1)
    return float(math.sqrt(variance)), float(max(1.0, min(df, n * k - 1)))


def _t_quantile(level: float, df: float) -> float:
    """Student's t quantile; a fractional df is rounded down to 0.1 (a hair conservative)
    so that the many calls of a simulation hit the cache."""
    return _t_quantile_cached(level, math.floor(df * 10) / 10)


@functools.lru_cache(maxsize=65536)
def _t_quantile_cached(level: float, df: float) -> float:
    return float(stats.t.ppf(level, df))


def _t_p(test: PairedTest, t: float, *, above: bool) -> float:
    if not math.isfinite(test.standard_error):
        return 1.0
    if test.standard_error == 0:
        holds = test.estimate > t if above else test.estimate < t
        return 0.0 if holds else 1.0
    z = (test.estimate - t) / test.standard_error
    return float(stats.t.sf(z, test.df) if above else stats.t.cdf(z, test.df))


def _p_value(test: PairedTest, t: float, *, above: bool) -> float:
    """The decision's p-value: the sign-flip test's, the t test's, or the larger."""
    if test.n_prompts == 0 or not math.isfinite(test.estimate):
        return 1.0
    p = 0.0
    if test.method.startswith("sign-flip"):
        p = _exact_p(np.array(test.values), t, above=above)
    if test.method.endswith("t"):
        p = max(p, _t_p(test, t, above=above))
    return p
