"""The fluency judge's calibration claim, re-measured on the real LM (SmolLM2, slow).

``DEFAULT_MARGIN`` was fixed on the demo's train split so that at most 1% of real jokes,
each judged against another real joke for its prompt, are called bad. Here a seeded 300
of those comparisons are judged again: SmolLM2 scores ~6 texts/s a row on two busy cores,
so 300 comparisons (at most 600 distinct texts, fewer with the prompt shared) keep the
test to a couple of minutes.
"""

from __future__ import annotations

import random

import pytest

from harness.demo.build import train_pairs
from harness.judges.fluency import DEFAULT_MARGIN, FluencyJudge, calibration_comparisons
from harness.models.shipped import POLICY_INSTALL, policy_missing

pytestmark = pytest.mark.slow
SAMPLE = 300


@pytest.fixture(scope="module")
def judge() -> FluencyJudge:
    reason = policy_missing()
    if reason is not None:
        pytest.skip(f"SmolLM2 is not installed ({reason}): {POLICY_INSTALL}")
    from harness.models.causal_lm import shared_causal_lm

    return FluencyJudge(shared_causal_lm("smollm2"), margin=DEFAULT_MARGIN)


def test_at_most_one_percent_of_real_jokes_against_another_for_their_prompt_are_bad(judge):
    comparisons = calibration_comparisons(train_pairs())
    assert len(comparisons) > SAMPLE
    sample = random.Random(0).sample(comparisons, SAMPLE)
    by_prompt: dict[str, list[tuple[str, str]]] = {}
    for prompt, candidate, reference in sample:
        by_prompt.setdefault(prompt, []).append((candidate, reference))
    flagged = []
    for prompt, rows in by_prompt.items():
        judge.fluency(prompt, [t for row in rows for t in row])  # the prompt's texts at once
        for candidate, reference in rows:
            (verdict,) = judge.judge(prompt, reference, [candidate])
            assert verdict.bad is not None and verdict.measure is not None
            if verdict.bad:
                flagged.append((candidate, verdict.reasons))
    assert len(flagged) / SAMPLE <= 0.01, flagged
