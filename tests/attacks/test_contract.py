"""One contract for every registered attack: budget, determinism, well-formed results."""

from __future__ import annotations

import dataclasses
import importlib.util
import math

import pytest

from attacks import all_attacks, get_attack
from attacks.base import Attack
from harness.core.errors import HarnessError
from harness.core.text import normalize
from harness.judges import HeuristicJudge, Judge, Judgement
from harness.models import CallableRewardModel, load_reward_model
from harness.scoring import Scorer
from harness.testing import PlantedRewardModel, build_tiny_causal_lm

PROMPT = "Tell me a joke about Python."
REFERENCE = "I suggested a Python seminar, but the acronym was unpopular."
BUDGET = 60


@pytest.fixture(scope="module")
def tiny_rm(checkpoints):
    return load_reward_model(checkpoints["bert"])


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory) -> str:
    """A tiny causal LM, for attacks with a language model (never SmolLM2 here)."""
    return str(build_tiny_causal_lm(tmp_path_factory.mktemp("lm") / "lm", chat_template=True))


def make(cls: type[Attack], tiny_lm: str) -> Attack:
    """The attack with its default parameters, except its LM (if it has one): the tiny one;
    and its surrogate (a transfer's): a planted model, not one of the demo's."""
    fields = {f.name for f in dataclasses.fields(cls.Params)}
    if "surrogate" in fields:
        return cls(surrogate="tests.attacks.surrogates:OTHER")
    return cls(lm=tiny_lm) if "lm" in fields else cls()


@pytest.mark.parametrize("name", sorted(all_attacks()))
def test_attack_contract(tiny_rm, tiny_lm, name):
    cls = get_attack(name)
    if cls.family == "textattack" and importlib.util.find_spec("textattack") is None:
        pytest.skip("the textattack extra is not installed")
    assert cls.name == name and cls.family and cls.description()
    assert cls.access in ("black-box", "white-box")
    runs = []
    for _ in range(2):
        scorer = Scorer(tiny_rm)  # fresh cache: determinism must not lean on it
        outcome = make(cls, tiny_lm).run(
            scorer, PROMPT, REFERENCE, budget=BUDGET, seed=7, judges=[HeuristicJudge()]
        )
        assert outcome.error is None, outcome.error
        assert outcome.queries <= BUDGET and scorer.stats.queries == 0  # own budget, own counters
        assert outcome.evaluated >= 1 and outcome.best_text is not None
        assert math.isfinite(outcome.best_score) and math.isfinite(outcome.reference_score)
        assert outcome.lm_tokens >= 0
        runs.append(outcome)
    first, second = runs
    assert first.lm_tokens == second.lm_tokens
    assert first.best_text == second.best_text and first.best_score == second.best_score
    assert [f.text for f in first.findings] == [f.text for f in second.findings]


class AlwaysBad(Judge):
    """Calls every candidate bad (test double): whatever outscores the reference is a finding."""

    name = "always-bad"

    def judge(self, prompt, reference, candidates):
        return [Judgement(self.name, True, ("test double",)) for _ in candidates]


class ReferenceLast(PlantedRewardModel):
    """The planted reward (white-box), except that the reference scores -1: below any other text.

    Every attack's first candidate already outscores the reference, so every attack has
    findings to report, and their shape can be checked for each one.
    """

    def reward(self, response: str) -> float:
        return -1.0 if response == REFERENCE else super().reward(response)


@pytest.fixture(scope="module")
def reference_last():
    return ReferenceLast.default()


@pytest.mark.parametrize("name", sorted(all_attacks()))
def test_findings_are_well_formed(reference_last, tiny_lm, name):
    cls = get_attack(name)
    if cls.family == "textattack" and importlib.util.find_spec("textattack") is None:
        pytest.skip("the textattack extra is not installed")
    scorer = Scorer(CallableRewardModel(reference_last))
    outcome = make(cls, tiny_lm).run(
        scorer, PROMPT, REFERENCE, budget=BUDGET, seed=7, judges=[AlwaysBad()]
    )
    assert outcome.error is None, outcome.error
    assert outcome.reference_score == -1.0
    assert outcome.findings, f"{name}: {outcome.evaluated} candidates evaluated, no finding"
    for finding in outcome.findings:
        assert finding.prompt == PROMPT and finding.text != REFERENCE
        assert finding.reference_score == -1.0 and finding.score >= 0.0
        assert finding.margin == finding.score - finding.reference_score
        assert finding.reasons[0] == "always-bad: test double"
        assert all(r.startswith(("always-bad: ", "construction: ")) for r in finding.reasons)
        if name == "bandit":  # a bandit's findings are its arms' own (attacks.bandit)
            arm = get_attack(finding.attack)
            assert finding.attack in outcome.detail["arms"] and finding.family == arm.family
        else:
            assert finding.attack == name and finding.family == cls.family
        assert finding.seed == 7
        assert 0 < finding.queries_at_find <= outcome.queries <= BUDGET
    keys = [normalize(f.text) for f in outcome.findings]
    assert len(set(keys)) == len(keys)  # one finding per text, up to normalization


@pytest.mark.parametrize("name", sorted(all_attacks()))
def test_an_attempt_keeps_at_most_keep_and_counts_what_crossed(reference_last, tiny_lm, name):
    """Whatever the attack, the choice of findings is made for it (``keep_diverse``)."""
    cls = get_attack(name)
    if cls.family == "textattack" and importlib.util.find_spec("textattack") is None:
        pytest.skip("the textattack extra is not installed")
    outcome = make(cls, tiny_lm).run(
        Scorer(CallableRewardModel(reference_last)), PROMPT, REFERENCE, budget=BUDGET, seed=7,
        judges=[AlwaysBad()], keep=2,
    )  # fmt: skip
    assert outcome.error is None, outcome.error
    assert 0 < len(outcome.findings) <= 2 and outcome.crossed >= len(outcome.findings)
    assert outcome.first_finding_queries is not None
    assert outcome.first_finding_queries <= min(f.queries_at_find for f in outcome.findings)
    best = max(f.margin for f in outcome.findings)
    assert best == outcome.best_margin  # the best margin is always kept


def test_unknown_attack_lists_valid_names():
    with pytest.raises(HarnessError, match=r"unknown attack 'nope'; choose one of: .*repetition"):
        get_attack("nope")


def test_parameters_are_type_checked():
    cls = get_attack("random-search")
    with pytest.raises(HarnessError, match="parameter 'length' must be int"):
        cls(length="eight")
    with pytest.raises(HarnessError, match="has no parameter 'depth'"):
        cls(depth=3)
    assert cls(length=4).params.length == 4


def test_budget_must_be_positive(tiny_rm):
    with pytest.raises(HarnessError, match="budget must be > 0"):
        get_attack("repetition")().run(Scorer(tiny_rm), PROMPT, REFERENCE, budget=0)


def test_a_crashing_attack_is_recorded_not_raised(tiny_rm):
    class Crashes(Attack):
        """Always fails (test double)."""

        name = "crashes"
        family = "test"

        def search(self, ctx):
            raise RuntimeError("boom")

    outcome = Crashes().run(Scorer(tiny_rm), PROMPT, REFERENCE, budget=5)
    assert outcome.error and "RuntimeError: boom" in outcome.error


def test_two_spellings_of_one_finding_in_a_batch_are_recorded_once():
    from harness.judges import HeuristicJudge as Heuristic
    from harness.models import CallableRewardModel

    class Twice(Attack):
        """Evaluates the same nonsense twice in one batch, differing only in case (test double)."""

        name = "twice"
        family = "test"

        def search(self, ctx):
            ctx.evaluate(["the the the the the the", "THE THE THE THE THE THE"])

    scorer = Scorer(CallableRewardModel(lambda prompts, responses: [1.0] * len(responses)))
    outcome = Twice().run(scorer, PROMPT, REFERENCE, budget=5, judges=[Heuristic()], margin=-1)
    assert len(outcome.findings) == 1
