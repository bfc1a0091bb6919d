"""Prompt-bootstrap intervals on pooled rates and their contrasts (per-prompt ``Counts``).

A paired comparison (round r against round 0, an arm against the ``clean`` arm) resamples
the prompts *jointly*: each resample draws one set of prompts and every condition is
computed on it, which is what removes the prompt-to-prompt variation that the conditions
share. The same seed gives the same draws, so every contrast of one verdict is computed on
the same resamples of the same prompts. Why prompts and not attempts: ``counts``.

**Percentile bootstrap, and its blind spot.** The intervals are percentile intervals of
``B`` resamples (default 2000, a seeded ``numpy.random.Generator``). A bootstrap cannot
see past its sample: when every prompt has the same outcome, every resample is identical
and the interval has zero width. That is honest about the sample and overconfident about
the population when the prompts are few; the verdict's tests use it on purpose to put an
interval exactly on a threshold. A resample that draws only prompts without trials for
some condition has no rate; it is dropped and ``Estimate.resamples`` says how many were
kept.

``CONFIDENCE``, ``RESAMPLES`` and ``SEED`` are the defaults of every interval of the
experiment, this module's and those of ``across_rounds`` and ``attacker_cost``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harness.experiments.rounds.counts import Counts

__all__ = [
    "CONFIDENCE",
    "RESAMPLES",
    "SEED",
    "Estimate",
    "change",
    "contrast",
    "difference_in_differences",
    "rate_interval",
]

RESAMPLES = 2000
CONFIDENCE = 0.95
SEED = 0
_CHUNK = 256  # resamples drawn at once: bounds memory at _CHUNK x prompts counts


# ------------------------------------------------------------------ the estimate
@dataclass(frozen=True)
class Estimate:
    """A point estimate with its percentile interval over resampled prompts."""

    estimate: float
    low: float
    high: float
    n_prompts: int
    confidence: float = CONFIDENCE
    resamples: int = 0  # resamples that had a value (see the module doc)

    @property
    def estimable(self) -> bool:
        return all(math.isfinite(x) for x in (self.estimate, self.low, self.high))

    def halfwidth(self, toward: float) -> float:
        """The half of the interval that faces ``toward`` (percentile intervals are skewed)."""
        if self.estimate >= toward:
            return self.estimate - self.low
        return self.high - self.estimate

    def __str__(self) -> str:
        if not self.estimable:
            return f"not estimable ({self.n_prompts} prompts)"
        return f"{self.estimate:+.3f} [{self.low:+.3f}, {self.high:+.3f}], {self.n_prompts} prompts"


# ------------------------------------------------------------------ bootstrap
def contrast(
    terms: Sequence[tuple[float, Counts]],
    *,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> Estimate:
    """Interval for ``sum(coef * pooled rate)`` over ``terms``, resampling prompts jointly.

    The prompts are the union over the terms; a prompt missing from a term has no trials
    there. ``rate_interval``, ``change`` and ``difference_in_differences`` are the
    contrasts with one, two and four terms.
    """
    prompts = sorted({p for _, counts in terms for p in counts.prompts})
    index = {p: i for i, p in enumerate(prompts)}
    coefs = np.array([float(c) for c, _ in terms])
    s = np.zeros((len(terms), len(prompts)))
    n = np.zeros((len(terms), len(prompts)))
    for row, (_, counts) in enumerate(terms):
        columns = [index[p] for p in counts.prompts]
        s[row, columns] = counts.successes
        n[row, columns] = counts.trials

    with np.errstate(divide="ignore", invalid="ignore"):
        point = float(coefs @ (s.sum(axis=1) / n.sum(axis=1)))
    if not prompts or not math.isfinite(point):
        return Estimate(math.nan, math.nan, math.nan, len(prompts), confidence, 0)

    rng = np.random.default_rng(seed)
    uniform = np.full(len(prompts), 1.0 / len(prompts))
    values: list[np.ndarray] = []
    for start in range(0, resamples, _CHUNK):
        # How often each prompt is drawn: the same as drawing indices with replacement.
        weights = rng.multinomial(len(prompts), uniform, size=min(_CHUNK, resamples - start))
        with np.errstate(divide="ignore", invalid="ignore"):
            values.append((weights @ s.T) / (weights @ n.T) @ coefs)
    drawn = np.concatenate(values)
    drawn = drawn[np.isfinite(drawn)]
    if drawn.size == 0:
        return Estimate(point, math.nan, math.nan, len(prompts), confidence, 0)
    alpha = 1.0 - confidence
    low, high = np.quantile(drawn, [alpha / 2, 1 - alpha / 2])
    return Estimate(point, float(low), float(high), len(prompts), confidence, int(drawn.size))


def rate_interval(
    counts: Counts,
    *,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> Estimate:
    """The pooled rate with a prompt-bootstrap interval."""
    return contrast([(1.0, counts)], confidence=confidence, resamples=resamples, seed=seed)


def change(
    after: Counts,
    before: Counts,
    *,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> Estimate:
    """``rate(after) - rate(before)`` on the same prompts, e.g. round r against round 0."""
    return contrast(
        [(1.0, after), (-1.0, before)], confidence=confidence, resamples=resamples, seed=seed
    )


def difference_in_differences(
    arm_after: Counts,
    arm_before: Counts,
    control_after: Counts,
    control_before: Counts,
    *,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> Estimate:
    """``(arm_after - arm_before) - (control_after - control_before)``, prompts jointly.

    Negative: the arm fell by more than the control (the ``clean`` arm, which had the same
    training steps without the findings).
    """
    return contrast(
        [(1.0, arm_after), (-1.0, arm_before), (-1.0, control_after), (1.0, control_before)],
        confidence=confidence,
        resamples=resamples,
        seed=seed,
    )
