"""``rmh attack``'s work is a one-attack run in memory: the runner's worker does each
attempt, records it as a run does, and counts success as a run's ASR counts it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest

from attacks.base import Attack
from attacks.registry import ATTACKS
from harness.core.data import PreferencePair
from harness.core.errors import HarnessError
from harness.runner.plan import Unit
from harness.runner.recorder import attempt_entry
from harness.runner.trial import Trial, TrialSpec, TrialTotals
from harness.runner.worker import Worker

#: A reward model that prefers short answers: the null answer outscores every reference.
SHORTER_WINS = f"{__name__}:shorter_wins"


def shorter_wins(prompts: list[str], responses: list[str]) -> list[float]:
    return [-float(len(r)) for r in responses]


PAIRS = (
    PreferencePair("Tell me a joke about cats.", "Purr-haps later.", "No.", line=0),
    PreferencePair("Tell me a joke about Java.", "It has no class.", "No.", line=1),
)


class _CrashesOnCats(Attack):
    """Test attack: crashes on prompts about cats after one finding, the null answer
    elsewhere."""

    name = "test-trial-crash-on-cats"
    family = "test"

    @dataclass(frozen=True)
    class Params:
        pass

    def search(self, ctx):
        ctx.evaluate([""])
        if "cats" in ctx.prompt:
            raise RuntimeError("boom on cats")


def test_each_attempt_is_the_runs_unit_with_the_seed_of_its_position():
    spec = TrialSpec(
        checkpoint=SHORTER_WINS, attack="null-answer", params={}, budget=30, prompts=PAIRS, seed=5
    )
    attempts = list(Trial.prepare(spec).attempts(baseline=True))
    worker = Worker(spec.worker_spec())
    for index, attempt in enumerate(attempts):
        unit = Unit(0, "null-answer", 0, index, 5 + index)
        expected = attempt_entry(unit, worker.run_unit(unit).outcome, "null-answer")
        timing = {"time": expected.time, "seconds": expected.seconds}
        assert dataclasses.replace(attempt.entry, **timing) == expected
        assert attempt.entry.succeeded and attempt.baseline is not None


def test_a_crashed_attempt_is_an_error_and_in_no_success_rate():
    spec = TrialSpec(
        checkpoint=SHORTER_WINS,
        attack=_CrashesOnCats.name,
        params={},
        budget=10,
        prompts=PAIRS,
    )
    with ATTACKS.temporarily(_CrashesOnCats):
        attempts = list(Trial.prepare(spec).attempts(baseline=False))
    crashed, ran = attempts
    assert crashed.entry.error and crashed.outcome.findings  # found one, then crashed
    assert not crashed.entry.succeeded
    totals = TrialTotals.of(attempts)
    assert (totals.attempts, totals.ran, totals.errors) == (2, 1, 1)
    assert totals.succeeded == 1 and ran.entry.succeeded


def test_a_gold_judge_that_is_the_attacked_model_is_refused():
    spec = TrialSpec(
        checkpoint=SHORTER_WINS, attack="null-answer", params={}, budget=10, prompts=PAIRS,
        gold=SHORTER_WINS,
    )  # fmt: skip
    with pytest.raises(HarnessError, match="a judge must be independent"):
        Trial.prepare(spec)
