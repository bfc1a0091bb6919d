"""The gold-RM judge: a second RM compared with the reference, its margin calibrated."""

from __future__ import annotations

import pytest

from harness.core.data import PreferencePair
from harness.judges import GoldRMJudge, JudgeSpec, build_judges, calibrate_gold_margin
from harness.models import CallableRewardModel
from harness.scoring import Scorer


def length_rm(prompts, responses):
    return [float(len(r)) for r in responses]


def case_sensitive(prompts, responses):
    """Length minus capitals: upper-casing the reference is the largest drop."""
    return [len(r) - sum(c.isupper() for c in r) for r in responses]


PAIRS = [PreferencePair("p", "A Joke About Bytes.", "no", line=1)]


def test_compares_with_the_reference():
    judge = GoldRMJudge(Scorer(CallableRewardModel(length_rm)))
    short, long = judge.judge("p", "medium text", ["x", "a much longer answer"])
    assert (short.judge, short.bad, long.bad) == ("gold-rm", True, False)
    assert short.reasons == ("gold RM: 1.000 vs reference 11.000",)
    assert (short.measure, long.measure) == (-10.0, 9.0)  # the gold RM's margin, fine or not


def test_bad_only_below_the_reference_by_more_than_the_margin():
    judge = GoldRMJudge(Scorer(CallableRewardModel(length_rm)), margin=2.0)
    verdicts = judge.judge("p", "medium text", ["x" * 8, "x" * 9, "x" * 11, "x" * 12])
    assert [v.bad for v in verdicts] == [True, False, False, False]  # 9 == 11 - 2 is not below
    assert all(isinstance(v.bad, bool) for v in verdicts)
    equal = GoldRMJudge(Scorer(CallableRewardModel(length_rm)))
    assert [v.bad for v in equal.judge("p", "abc", ["xyz", "xy"])] == [False, True]


def test_built_from_its_params_with_the_loader():
    scorers: dict[str, Scorer] = {}

    def load(spec):
        scorers[spec] = Scorer(CallableRewardModel(length_rm))
        return scorers[spec]

    (fixed, calibrated) = build_judges(
        [
            JudgeSpec("gold-rm", {"checkpoint": "gold-ckpt", "margin": 2}),
            JudgeSpec("gold-rm", {"checkpoint": "demo"}),
        ],
        load,
    )
    assert isinstance(fixed, GoldRMJudge) and fixed.margin == 2.0
    assert isinstance(fixed.margin, float)
    assert calibrated.margin == 0.0  # "calibrate": fixed when the run starts
    assert set(scorers) == {"gold-ckpt", "demo"}
    assert fixed.scorer is scorers["gold-ckpt"] and fixed.rm_scorers() == (fixed.scorer,)


def test_calibrate_fixes_the_margin_for_the_run():
    judge = GoldRMJudge(Scorer(CallableRewardModel(case_sensitive)))
    recorded = judge.calibrate(PAIRS)
    assert recorded == {"margin": judge.margin}
    assert judge.margin == calibrate_gold_margin(judge.scorer, PAIRS) > 0


def test_margin_is_calibrated_on_meaning_preserving_edits():
    scorer = Scorer(CallableRewardModel(case_sensitive))
    margin = calibrate_gold_margin(scorer, PAIRS, quantile=1.0)
    # The largest drop among the edits is upper-casing: 19 chars - 4 capitals = 15
    # before, 19 - 15 = 4 after.
    assert margin == pytest.approx(15 - 4)
    # The default is the 95th percentile: below the largest drop, above the median one.
    default = calibrate_gold_margin(scorer, PAIRS)
    assert calibrate_gold_margin(scorer, PAIRS, quantile=0.5) < default < margin


def test_margin_is_never_negative():
    def loves_edits(prompts, responses):
        return [0.0 if r == PAIRS[0].chosen else 1.0 for r in responses]

    assert calibrate_gold_margin(Scorer(CallableRewardModel(loves_edits)), PAIRS) == 0.0


def test_calibration_is_seeded():
    def keeps_joke(prompts, responses):
        """1 while "Joke" is intact: case edits break it, and a typo does when it lands there."""
        return [float("Joke" in r) for r in responses]

    scorer = Scorer(CallableRewardModel(keeps_joke))
    # Of the 11 edits, lowercase and uppercase always drop 1, the typo drops 1 when it hits
    # "Joke" (not "About"): the 80th percentile is 1 exactly then.
    margins = {s: calibrate_gold_margin(scorer, PAIRS, quantile=0.8, seed=s) for s in range(6)}
    assert set(margins.values()) == {0.0, 1.0}
    assert calibrate_gold_margin(scorer, PAIRS, quantile=0.8) == margins[0]
