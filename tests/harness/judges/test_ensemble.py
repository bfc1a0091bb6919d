"""The ensemble judge: several RMs vote; a quorum says bad, none says fine, else undecided."""

from __future__ import annotations

import pytest

from harness.core.errors import HarnessError
from harness.judges import EnsembleJudge, JudgeSpec, build_judges
from harness.models import CallableRewardModel
from harness.scoring import Scorer


def length_rm(prompts, responses):
    return [float(len(r)) for r in responses]


def reverse_rm(prompts, responses):
    return [-float(len(r)) for r in responses]


def scorer(fn) -> Scorer:
    return Scorer(CallableRewardModel(fn))


def test_undecided_when_models_disagree_below_the_quorum():
    judge = EnsembleJudge([scorer(length_rm), scorer(reverse_rm)], quorum=1.0)
    (verdict,) = judge.judge("p", "medium text", ["x"])
    assert (verdict.judge, verdict.bad) == ("ensemble", None)
    assert verdict.reasons == ("1/2 ensemble RMs rank it below",)


def test_bad_at_the_quorum_and_fine_when_none_rank_it_below():
    judge = EnsembleJudge([scorer(length_rm), scorer(reverse_rm)], quorum=0.5)
    short, same = judge.judge("p", "medium text", ["x", "same length"])
    assert short.bad is True  # 1 of 2 is exactly the quorum
    assert same.bad is False and same.reasons == ("0/2 ensemble RMs rank it below",)
    both = EnsembleJudge([scorer(length_rm), scorer(length_rm)])
    verdicts = both.judge("p", "medium text", ["x", "a much longer answer", "equal text!"])
    assert [v.bad for v in verdicts] == [True, False, False]  # equal to the reference: not below
    assert verdicts[0].reasons == ("2/2 ensemble RMs rank it below",)


def test_quorum_counts_the_share_of_models():
    three = [scorer(length_rm), scorer(length_rm), scorer(reverse_rm)]
    (two_thirds,) = EnsembleJudge(three, quorum=0.67).judge("p", "medium text", ["x"])
    (enough,) = EnsembleJudge(three, quorum=0.66).judge("p", "medium text", ["x"])
    assert (two_thirds.bad, enough.bad) == (None, True)


def test_built_from_checkpoints_with_the_loader():
    loaded = []

    def load(spec):
        loaded.append(spec)
        return scorer(length_rm)

    (judge,) = build_judges(
        [JudgeSpec("ensemble", {"checkpoints": ["a/", "b/"], "quorum": 1})], load
    )
    assert isinstance(judge, EnsembleJudge) and loaded == ["a/", "b/"]
    assert judge.quorum == 1.0 and judge.rm_scorers() == tuple(judge.scorers)
    assert len(judge.rm_scorers()) == 2


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "needs at least one checkpoint"),
        ({"checkpoints": []}, "needs at least one checkpoint"),
        ({"checkpoints": ["a/"], "quorum": 0}, r"quorum must be in \(0, 1\], got 0"),
        ({"checkpoints": ["a/"], "quorum": 1.01}, "got 1.01"),
    ],
)
def test_bad_parameters_are_one_line(params, message):
    with pytest.raises(HarnessError, match=message):
        build_judges([JudgeSpec("ensemble", params)], lambda spec: scorer(length_rm))


def test_default_quorum_is_half_the_models():
    (judge,) = build_judges([JudgeSpec("ensemble", {"checkpoints": ["a/"]})], scorer_of_length)
    assert judge.quorum == 0.5
    assert EnsembleJudge([scorer(length_rm)]).quorum == 0.5


def scorer_of_length(spec: str) -> Scorer:
    return scorer(length_rm)
