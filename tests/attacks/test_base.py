"""``Attack.run``: an attack's own crash is that attempt's error, but a model that cannot
answer (an ``EndpointError``) stops the search and propagates, whatever the attack."""

from __future__ import annotations

import pytest

from attacks import get_attack
from harness.core.errors import EndpointError, EndpointOutputError, ModelOutputError
from harness.judges import HeuristicJudge
from harness.models import CallableRewardModel
from harness.scoring import Scorer

PROMPT = "Tell me a joke about Python."
REFERENCE = "Why do programmers wear glasses? Because they cannot C."


class Outage:
    """A reward (distinct words) that answers ``calls`` batches, then raises ``error``."""

    def __init__(self, calls: int, error: Exception) -> None:
        self.calls = calls
        self.error = error
        self.failed = 0

    def __call__(self, prompts: list[str], responses: list[str]) -> list[float]:
        if self.calls <= 0:
            self.failed += 1
            raise self.error
        self.calls -= 1
        return [float(len(set(r.split()))) for r in responses]


def run(name: str, reward: Outage, budget: int = 60):
    scorer = Scorer(CallableRewardModel(reward, name="outage"))
    return get_attack(name)().run(
        scorer, PROMPT, REFERENCE, budget=budget, seed=3, judges=[HeuristicJudge()]
    )


@pytest.mark.parametrize("name", ["repetition", "random-search", "hypothesis-fuzz"])
@pytest.mark.parametrize(
    "error",
    [EndpointError("cannot reach the reward model at rm:80"), EndpointOutputError("3 for 4")],
    ids=["unreachable", "malformed"],
)
def test_an_endpoint_error_in_the_search_stops_it_and_propagates(name, error):
    # Hypothesis-fuzz scores one text per example: a few answer (a finding may be
    # shrinking) before the model goes; then it must stop, not report a "flaky" finding.
    reward = Outage(4 if name == "hypothesis-fuzz" else 1, error)
    with pytest.raises(type(error), match=str(error)):
        run(name, reward)
    assert reward.failed == 1  # asked once after it failed: nothing went on trying


def test_any_other_error_in_the_search_is_the_attempts_error():
    outcome = run("random-search", Outage(1, ModelOutputError("nan for one pair")))
    assert outcome.error and "ModelOutputError: nan for one pair" in outcome.error


def test_a_finding_keeps_the_measures_of_judges_that_called_it_fine():
    """Confirmed by the heuristic judge (repetition) alone, a finding still shows the
    number of a judge that called it fine: a fluency judge's, say."""
    from harness.judges import Judge, Judgement

    class Fluent(Judge):
        name = "fluency"

        def judge(self, prompt, reference, candidates):
            return [Judgement(self.name, False, ("fine",), measure=0.25) for _ in candidates]

    def longer(prompts, responses):
        return [float(len(r)) for r in responses]

    outcome = get_attack("repetition")().run(
        Scorer(CallableRewardModel(longer)), "p", "A short joke.", budget=20,
        judges=[HeuristicJudge(), Fluent()],
    )  # fmt: skip
    assert outcome.findings
    for finding in outcome.findings:
        assert finding.measures == {"fluency": 0.25} and finding.fluency == 0.25
        assert "fluency" not in finding.judges and finding.judges
