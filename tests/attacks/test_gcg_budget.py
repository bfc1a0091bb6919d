"""Budget-aware gcg: at a small budget the candidate batch shrinks so that ``min_steps``
steps fit, and the attempt's detail says so; at a large one the batch is as given."""

from __future__ import annotations

import pytest

from attacks import get_attack
from attacks.gradient import MIN_BATCH
from harness.core.errors import HarnessError
from harness.judges import HeuristicJudge
from harness.models import CallableRewardModel
from harness.scoring import Scorer
from harness.testing import PlantedRewardModel

PROMPT = "Tell me a joke about Python."
REFERENCE = "I suggested a Python seminar, but the acronym was unpopular."


class Counting:
    """The planted reward (white-box) that counts its gradients and scored texts."""

    def __init__(self) -> None:
        self.planted = PlantedRewardModel.default()
        self.gradients = 0
        self.scored = 0

    def __getattr__(self, name: str):
        return getattr(self.planted, name)

    def token_gradients(self, prompt, response):
        self.gradients += 1
        return self.planted.token_gradients(prompt, response)

    def __call__(self, prompts, responses):
        self.scored += len(responses)
        return self.planted(prompts, responses)


def run(budget: int, **params):
    reward = Counting()
    scorer = Scorer(CallableRewardModel(reward, name="planted"))
    outcome = get_attack("gcg")(length=8, **params).run(
        scorer, PROMPT, REFERENCE, budget=budget, seed=0, judges=[HeuristicJudge()]
    )
    assert outcome.error is None, outcome.error
    assert reward.scored + reward.gradients == outcome.queries <= budget
    return outcome, reward.gradients


@pytest.mark.parametrize(("budget", "batch"), [(50, MIN_BATCH), (150, 11), (600, 32)])
def test_the_batch_is_sized_so_that_min_steps_fit(budget, batch):
    outcome, steps = run(budget)
    # each step pays one gradient and at most ``batch`` swaps (fewer when some repeat
    # or do not survive re-encoding), after the reference and the start
    assert steps >= (budget - 2) // (batch + 1)
    if batch < 32:
        assert outcome.detail["batch"]["batch"] == batch
        assert "steps of" in outcome.detail["batch"]["why"]
    else:
        assert "batch" not in outcome.detail


def test_min_steps_zero_keeps_the_batch_whatever_the_budget():
    outcome, steps = run(150, min_steps=0)
    assert "batch" not in outcome.detail
    assert steps <= 6  # 148 queries in steps of up to 33


@pytest.mark.parametrize(
    ("params", "fragment"),
    [({"min_steps": -1}, "min_steps must be >= 0"), ({"batch": 0}, "batch must be > 0")],
)
def test_bad_parameters_are_one_line_errors(params, fragment):
    with pytest.raises(HarnessError, match=fragment):
        get_attack("gcg")(**params)


@pytest.mark.parametrize("name", ["gcg", "random-search", "greedy-coordinate", "beam", "genetic"])
def test_a_bad_mode_is_refused_when_the_attack_is_built(name):
    with pytest.raises(HarnessError, match="mode must be 'response' or 'suffix', got 'prefix'"):
        get_attack(name)(mode="prefix")
