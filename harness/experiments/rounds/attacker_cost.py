"""The attacker's cost: queries to the first finding, per attempt, over prompts.

A cost is read beside the censored share (attempts that found nothing within their
budget), and its interval is a prompt bootstrap like every other interval of the
experiment (``bootstrap``: the same defaults, the prompt as the unit).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from harness.experiments.rounds.bootstrap import CONFIDENCE, RESAMPLES, SEED

__all__ = ["QueriesToFirst", "queries_to_first"]


@dataclass(frozen=True)
class QueriesToFirst:
    """The attacker's cost: the median queries to the first finding, with the censored share.

    ``median`` is over the attempts that found something; ``censored_share`` is the share
    of attempts that found nothing within their budget. Read them together.
    """

    median: float  # NaN when no attempt found anything
    low: float
    high: float
    found: int
    attempts: int
    n_prompts: int

    @property
    def censored_share(self) -> float:
        return 1.0 - self.found / self.attempts if self.attempts else math.nan


def queries_to_first(
    per_prompt: Mapping[str, Sequence[int | None]],
    *,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> QueriesToFirst:
    """Median queries to the first finding over the attempts that found one, with a
    prompt-bootstrap interval; ``None`` marks an attempt that found nothing (censored).

    Why not count a censored attempt at its budget, or estimate a Kaplan-Meier median:
    the budget is not the cost (the true cost is somewhere above it, unknown), so counting
    it there biases the median down by an amount set by the suite, not the model; and the
    Kaplan-Meier median does not exist once more than half the attempts find nothing,
    which is exactly the robust checkpoint this experiment hopes to make. The conditional
    median is always defined; the censored share beside it carries the rest, and a
    rising censored share is itself the sign of a harder target.
    """
    prompts = sorted(per_prompt)
    found = [np.array([q for q in per_prompt[p] if q is not None], dtype=float) for p in prompts]
    attempts = sum(len(per_prompt[p]) for p in prompts)
    n_found = sum(len(f) for f in found)
    if n_found == 0:
        nan = math.nan
        return QueriesToFirst(nan, nan, nan, 0, attempts, len(prompts))
    median = float(np.median(np.concatenate(found)))
    rng = np.random.default_rng(seed)
    medians = []
    for _ in range(resamples):
        drawn = [found[i] for i in rng.integers(0, len(prompts), size=len(prompts))]
        pooled = np.concatenate(drawn)
        if pooled.size:
            medians.append(float(np.median(pooled)))
    alpha = 1.0 - confidence
    low, high = np.quantile(medians, [alpha / 2, 1 - alpha / 2])
    return QueriesToFirst(median, float(low), float(high), n_found, attempts, len(prompts))
