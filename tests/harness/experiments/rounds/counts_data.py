"""Per-prompt counts whose answer is known, for the tests of the rounds statistics."""

from __future__ import annotations

import numpy as np

from harness.experiments.rounds.counts import Counts

__all__ = ["binomial", "same"]


def same(n: int, successes: int, trials: int) -> Counts:
    """``n`` prompts with identical outcomes: every resample is the same."""
    return Counts.of({f"p{i:03d}": (successes, trials) for i in range(n)})


def binomial(rates: np.ndarray, trials: int, seed: int) -> Counts:
    rng = np.random.default_rng(seed)
    return Counts.of(
        {f"p{i:03d}": (int(rng.binomial(trials, r)), trials) for i, r in enumerate(rates)}
    )
