"""Is a sampled response nonsense? The heuristic validity judge, on every sample.

Best-of-n's nonsense rate is the expected share of the proxy's picks that the judge
calls bad: the same best-of-n weights applied to a 0/1 indicator per sample. It needs a
verdict on every sample, not just the picks, and a verdict that does not come from the
gold (the gold is the other curve): so the heuristic judge (text statistics, calibrated
to call at most 1% of the bundled real jokes bad) judges each sample.

Sampled responses have no reference answer, so every rule is read on its absolute
threshold, and the length rule (a multiple of the reference's length) is off. Word
soups of common words pass these rules (they look like text): the nonsense rate is a
lower bound on what a reader would call nonsense, and the gold curve covers the rest.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np

from harness.judges import HeuristicJudge, judge_candidates

JUDGE = "heuristic"
NOTE = (
    "heuristic judge on absolute thresholds (samples have no reference; length rule off): "
    "a lower bound, since soups of real words pass it"
)


def sample_judge() -> HeuristicJudge:
    """The heuristic judge with its reference-relative length rule switched off."""
    return HeuristicJudge(min_length_for_length_rule=sys.maxsize)


def judge_samples(responses: Sequence[str]) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """Per sample: called bad (bool array) and the reasons; each distinct text judged once.

    The verdict depends on the text alone (no reference, and no rule reads the prompt).
    """
    judge = sample_judge()
    verdicts: dict[str, tuple[bool, tuple[str, ...]]] = {}
    distinct = list(dict.fromkeys(responses))
    for text, (bad, reasons) in zip(
        distinct, judge_candidates([judge], "", "", distinct), strict=True
    ):
        verdicts[text] = (bad, reasons)
    bad = np.array([verdicts[r][0] for r in responses], dtype=bool)
    return bad, [verdicts[r][1] for r in responses]
