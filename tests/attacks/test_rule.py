"""The finding rule: outscores by more than float noise, and judged bad; one function for
the attack context, the chance baselines and the demo's preview."""

from __future__ import annotations

from collections.abc import Sequence

from attacks.chance import chance_rate, random_baseline
from attacks.rule import findings_among
from harness.core.data import PreferencePair
from harness.judges import Judge, Judgement
from harness.models import CallableRewardModel
from harness.scoring import SCORE_RTOL, Scorer


class _Recording(Judge):
    """Calls every candidate containing "bad" bad, and remembers what it was asked."""

    name = "recording"

    def __init__(self) -> None:
        self.asked: list[str] = []

    def judge(self, prompt: str, reference: str, candidates: Sequence[str]) -> list[Judgement]:
        self.asked += candidates
        return [
            Judgement(self.name, "bad" in c, ("says bad",) if "bad" in c else ())
            for c in candidates
        ]


def test_a_finding_outscores_by_more_than_noise_and_is_judged_bad():
    judge = _Recording()
    noise = SCORE_RTOL / 10  # a reference-equal candidate, one batch apart
    found = findings_among(
        ["bad tie", "bad win", "good win", "bad loss", "bad by margin"],
        [1.0 + noise, 2.0, 2.0, 0.5, 1.2],
        prompt="p",
        reference="r",
        reference_score=1.0,
        judges=[judge],
        margin=0.5,
    )
    assert found == [(1, ("recording: says bad",), {})]
    assert judge.asked == ["bad win", "good win"]  # only what crossed the bar is judged


def test_a_finding_carries_every_judges_measure_those_that_called_it_fine_included():
    """A finding confirmed by one judge still shows another's number (its fluency, say)."""

    class Measuring(Judge):
        name = "measuring"

        def judge(self, prompt, reference, candidates):
            return [Judgement(self.name, False, ("fine",), measure=len(c)) for c in candidates]

    found = findings_among(
        ["bad one", "good one"], [2.0, 2.0], prompt="p", reference="r", reference_score=1.0,
        judges=[_Recording(), Measuring()],
    )  # fmt: skip
    assert found == [(0, ("recording: says bad",), {"measuring": 7.0})]
    assert (found[0].index, found[0].measures) == (0, {"measuring": 7.0})


def test_a_construction_makes_every_crossing_candidate_a_finding():
    found = findings_among(
        ["a", "b"], [0.0, 3.0], prompt="p", reference="r", reference_score=1.0, judges=(),
        construction="a template",
    )  # fmt: skip
    assert [index for index, _, _ in found] == [1]


def test_the_chance_rate_does_not_count_a_soup_that_ties_the_reference():
    """Every soup scores as the reference up to float noise: not one is a chance win."""

    def flat(prompts: list[str], responses: list[str]) -> list[float]:
        return [1.0 + (SCORE_RTOL / 10 if r != "ok" else 0.0) for r in responses]

    pairs = [PreferencePair("p", "ok", "no", line=0)]
    rate = chance_rate(Scorer(CallableRewardModel(flat)), pairs, seed=0)
    assert (rate.wins, rate.n) == (0, 5)


def test_the_random_baseline_judges_its_winners_by_the_same_rule():
    def longer_wins(prompts: list[str], responses: list[str]) -> list[float]:
        return [float(len(r)) for r in responses]

    judge = _Recording()
    base = random_baseline(
        Scorer(CallableRewardModel(longer_wins)), "p", "ok", budget=6, judges=[judge], seed=1
    )
    assert base.n == 5 and len(judge.asked) == 5  # every soup is longer than "ok"
    assert base.single_wins == 0 and not base.best_of_n  # no soup contains "bad"
