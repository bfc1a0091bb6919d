"""The nonsense onset: the smallest n whose picks are more often nonsense than n = 1's.

Each prompt gives, for every n of the grid, the expected nonsense rate of the proxy's pick
(``bon_table`` of the judge's 0/1 verdicts); at n = 1 that is the rate of the policy's own
samples. The onset asks, for each n >= 2, whether the rate at n is above the rate at
n = 1 on prompts like these, and takes the smallest n where the answer is yes:

- **One test per n, paired by prompt.** ``rise_p(n) = rate_p(n) - rate_p(1)`` per prompt,
  and a one-sided one-sample t test that its mean is above 0 (the prompts are the units:
  a prompt's samples are not independent of each other). With rare nonsense these
  differences are skewed to the right, which makes the upper-tailed t test conservative
  rather than liberal; ``benchmarks/bench_onset.py`` measures its false onsets on
  simulated null worlds.
- **Multiplicity.** The grid has up to nine n >= 2, and scanning them for the first
  that looks higher finds one by chance far more often than a single test would. Holm's
  step-down adjusts the p-values over the grid, at the one-sided level that matches the
  intervals (2.5% for 95% intervals): the chance of any false onset stays under it.
- **Zeros.** A rate estimated at 0 (no pick nonsense on any prompt) is bounded by
  Clopper-Pearson on the prompts, not by a bootstrap interval of width zero. When no
  onset is found, ``rise_bound`` is the largest rise at any n the data cannot rule out
  (the per-n one-sided upper bounds, Bonferroni over the n so that they hold together):
  "none within range" says how large a rise is still possible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

#: A spread this small (relative) is rounding, not data: the t statistic would be noise.
_NO_SPREAD = 1e-9

#: How the onset is decided, in the words sweep.json records.
METHOD = "one-sided paired t per n against n = 1, prompts as units, Holm over the n"


@dataclass(frozen=True)
class Onset:
    """The smallest n whose rise is significant after Holm (None: none within range),
    the Holm-adjusted p-value of each n >= 2, and the largest rise at any n the data
    cannot rule out (``rise_bound``), at family-wise one-sided ``level``."""

    n: int | None
    adjusted_p: dict[int, float]
    rise_bound: float
    level: float


def zero_rate_bound(prompts: int, level: float) -> float:
    """The one-sided Clopper-Pearson upper bound on a rate seen at 0 of ``prompts``."""
    return float(1.0 - level ** (1.0 / prompts))


def one_sided_p(rise: np.ndarray) -> float:
    """p of "mean rise > 0" over the prompts (rows): a t test. Where every prompt rises by
    the same amount the t statistic is undefined; the sign test is not: P prompts all
    rising has chance 2^-P under a null symmetric about 0 (and 1 when none rises)."""
    if len(rise) < 2:
        return 1.0
    spread = float(np.std(rise, ddof=1))
    if spread <= _NO_SPREAD * max(1.0, float(np.max(np.abs(rise)))):
        return 0.5 ** len(rise) if float(np.mean(rise)) > _NO_SPREAD else 1.0
    return float(stats.ttest_1samp(rise, 0.0, alternative="greater").pvalue)


def upper_bound(rise: np.ndarray, level: float, rate: np.ndarray | None = None) -> float:
    """The one-sided upper confidence bound on the mean rise (t). Where a spread of zero
    says nothing, Clopper-Pearson on the prompts: when every prompt's rise is 0 (the share
    of prompts that could rise, each by at most 1), and when the rate itself (``rate``,
    per prompt) is 0 on every prompt, since the rise is at most the rate and 0 of P
    prompts bounds the rate only that far."""
    prompts = len(rise)
    if np.all(np.abs(rise) <= _NO_SPREAD):
        return zero_rate_bound(prompts, level)
    if rate is not None and np.all(np.asarray(rate) <= _NO_SPREAD):
        return zero_rate_bound(prompts, level)
    if prompts < 2:
        return 1.0
    mean = float(np.mean(rise))
    error = float(np.std(rise, ddof=1)) / np.sqrt(prompts)
    return min(1.0, mean + float(stats.t.ppf(1.0 - level, prompts - 1)) * error)


def holm(p_values: list[float]) -> np.ndarray:
    """Holm-adjusted p-values: the i-th smallest times (m - i), made monotone, at most 1.

    The same numbers as ``statsmodels.stats.multitest.multipletests(method="holm")`` (a
    test holds them equal), which calls ``gc.collect()`` on every call: 40 ms or more
    each, and a simulation study of the onset calls it thousands of times.
    """
    p = np.asarray(p_values, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    scaled = p[order] * (len(p) - np.arange(len(p)))
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return adjusted


def find_onset(ns: tuple[int, ...], rates: np.ndarray, level: float) -> Onset:
    """The onset over the grid ``ns`` (``ns[0] == 1``) from the per-prompt rates
    ``(P, len(ns))``, at family-wise one-sided ``level`` (module doc)."""
    rates = np.asarray(rates, dtype=np.float64)
    if ns[0] != 1 or rates.shape[1] != len(ns):
        raise ValueError("the rates need one column per n, the first at n = 1")
    rises = rates[:, 1:] - rates[:, :1]
    raw = [one_sided_p(rises[:, j]) for j in range(rises.shape[1])]
    if not raw:
        return Onset(None, {}, upper_bound(np.zeros(len(rates)), level), level)
    adjusted = holm(raw)
    held = [n for n, p in zip(ns[1:], adjusted, strict=True) if p <= level]
    return Onset(
        n=min(held) if held else None,
        adjusted_p={n: float(p) for n, p in zip(ns[1:], adjusted, strict=True)},
        rise_bound=rise_bound(rises, rates[:, 1:], level),
        level=level,
    )


def rise_bound(rises: np.ndarray, rates: np.ndarray, level: float) -> float:
    """The largest rise at any n >= 2 the data cannot rule out: the largest of the per-n
    upper bounds, each at ``level`` over the number of n (Bonferroni, so they hold
    together), and never below 0 (a rate that fell did not rise)."""
    share = level / rises.shape[1]
    bounds = [upper_bound(rises[:, j], share, rates[:, j]) for j in range(rises.shape[1])]
    return max(0.0, *bounds)
