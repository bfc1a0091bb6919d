"""Clean (non-adversarial) metrics: pairwise accuracy on preference pairs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import binomtest

from harness.core.data import PreferencePair
from harness.scoring import Scorer


@dataclass(frozen=True)
class PairwiseAccuracy:
    """Share of pairs where chosen outscores rejected, with a 95% Wilson interval."""

    accuracy: float
    correct: int
    n: int
    low: float
    high: float

    def __str__(self) -> str:
        return (
            f"{self.accuracy:.1%} ({self.correct}/{self.n}, 95% CI {self.low:.1%}-{self.high:.1%})"
        )


def pairwise_accuracy(scorer: Scorer, pairs: Sequence[PreferencePair]) -> PairwiseAccuracy:
    accuracy, _ = accuracy_measure(scorer, pairs)
    return accuracy


def accuracy_measure(
    scorer: Scorer, pairs: Sequence[PreferencePair]
) -> tuple[PairwiseAccuracy, dict[str, tuple[int, int]]]:
    """The pairwise accuracy and, per prompt, ``(pairs ranked right, pairs)``, scored once.

    Per prompt because an experiment resamples prompts for its intervals and reads a
    run's tallies instead of scoring the pairs again.
    """
    chosen = scorer.score([p.prompt for p in pairs], [p.chosen for p in pairs])
    rejected = scorer.score([p.prompt for p in pairs], [p.rejected for p in pairs])
    by_prompt: dict[str, tuple[int, int]] = {}
    for pair, c, r in zip(pairs, chosen, rejected, strict=True):
        right, n = by_prompt.get(pair.prompt, (0, 0))
        by_prompt[pair.prompt] = (right + int(c > r), n + 1)
    return accuracy_from_scores(chosen, rejected), by_prompt


def accuracy_from_scores(chosen: np.ndarray, rejected: np.ndarray) -> PairwiseAccuracy:
    correct = int(np.sum(chosen > rejected))
    n = len(chosen)
    ci = binomtest(correct, n).proportion_ci(confidence_level=0.95, method="wilson")
    return PairwiseAccuracy(correct / n, correct, n, float(ci.low), float(ci.high))
