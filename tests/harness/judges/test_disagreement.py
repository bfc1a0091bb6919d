"""The ensemble-disagreement judge, with tiny real reward models (Python callables).

The members: ``words`` likes length (0.05 per word, a small scale), ``vocabulary`` likes
distinct words (20 per word plus 3, a large scale). On ordinary text they agree, up to
scale; on a repeated word they disagree (one sees many words, the other one word), which
is the judge's whole point. ``words-affine`` is ``words`` times 1000 minus 7: it agrees
with ``words`` exactly once each is standardized, and not at all if scales were ignored.
"""

from __future__ import annotations

import math

import pytest

from harness.core.data import PreferencePair
from harness.core.errors import HarnessError
from harness.demo.build import heldout_pairs
from harness.judges import JUDGES, JudgeSpec, build_judges, check_spec
from harness.judges.disagreement import MIN_SPREAD, DisagreementJudge, calibration_set
from harness.models import CallableRewardModel
from harness.scoring import Scorer

NAME = "ensemble-disagreement"
DEGENERATE = "ha " * 60


def words(prompts: list[str], responses: list[str]) -> list[float]:
    return [0.05 * len(r.split()) for r in responses]


def vocabulary(prompts: list[str], responses: list[str]) -> list[float]:
    return [20.0 * len({w.lower().strip(".,!?:") for w in r.split()}) + 3.0 for r in responses]


def words_affine(prompts: list[str], responses: list[str]) -> list[float]:
    return [1000.0 * len(r.split()) - 7.0 for r in responses]


def flaky(prompts: list[str], responses: list[str]) -> list[float]:
    return [math.nan if "boom" in r else float(len(r)) for r in responses]


MEMBERS = {"words": words, "vocabulary": vocabulary, "words-affine": words_affine, "flaky": flaky}

# A few clean pairs. The members agree on them up to the odd repeated word ("a", "recursion").
PAIRS = [
    PreferencePair(
        "Tell me a joke about databases.",
        "A SQL query walks into a bar, sees two tables and asks: may I join you?",
        "Databases store rows.",
        line=1,
    ),
    PreferencePair(
        "Tell me a joke about databases.",
        "Why did the index leave its table? Too many full scans.",
        "No.",
        line=2,
    ),
    PreferencePair(
        "Make me laugh about programmers.",
        "Why do Java programmers wear glasses? Because they don't C#.",
        "Programmers write code for computers.",
        line=3,
    ),
    PreferencePair(
        "A joke about networks, please.",
        "I would tell you a UDP joke, but you might not get it.",
        "Networks connect machines together over cables and radio links.",
        line=4,
    ),
    PreferencePair(
        "Something funny about recursion?",
        "To understand recursion, you must first understand recursion.",
        "Recursion is when something calls itself.",
        line=5,
    ),
]


class Loader:
    """A suite-style loader: checkpoint spec -> scorer over a tiny model; counts loads."""

    def __init__(self) -> None:
        self.loaded: list[str] = []

    def __call__(self, spec: str) -> Scorer:
        self.loaded.append(spec)
        return Scorer(CallableRewardModel(MEMBERS[spec]))


def build(**params: object) -> DisagreementJudge:
    (judge,) = build_judges([JudgeSpec(NAME, params)], Loader())
    assert isinstance(judge, DisagreementJudge)
    return judge


def calibrated(members: tuple[str, str], pairs: list[PreferencePair]) -> DisagreementJudge:
    judge = build(checkpoints=list(members), spread="calibrate", scales="calibrate")
    judge.calibrate(pairs)
    return judge


def references(pairs: list[PreferencePair]) -> dict[str, str]:
    """Each prompt's reference: its first pair's chosen response (what attacks are given)."""
    refs: dict[str, str] = {}
    for pair in pairs:
        refs.setdefault(pair.prompt, pair.chosen)
    return refs


def test_registered_with_its_checkpoints_declared():
    cls = JUDGES.get(NAME)
    assert cls is DisagreementJudge
    assert cls.checkpoint_params == ("checkpoints",)
    assert "disagree" in cls.description()


def test_built_from_a_suite_spec_calibrates_and_a_resumed_run_judges_identically():
    load = Loader()
    spec = JudgeSpec(NAME, {"checkpoints": ["words", "vocabulary"], "spread": "calibrate"})
    (judge,) = build_judges([spec], load)
    assert load.loaded == ["words", "vocabulary"]
    assert [s.model.fn for s in judge.rm_scorers()] == [words, vocabulary]

    fixed = judge.calibrate(PAIRS)
    assert set(fixed) == {"spread", "scales"}
    assert math.isfinite(fixed["spread"]) and fixed["spread"] > 0
    assert len(fixed["scales"]) == 2 and all(s > 0 for s in fixed["scales"])

    # What the run log records is a valid spec, and rebuilding from it judges the same.
    resumed_spec = JudgeSpec(NAME, {**spec.params, **fixed})
    check_spec(resumed_spec)
    (resumed,) = build_judges([resumed_spec], Loader())
    candidates = [DEGENERATE, "Why was the database lonely? It had no relations.", ""]
    for prompt, reference in references(PAIRS).items():
        assert resumed.judge(prompt, reference, candidates) == judge.judge(
            prompt, reference, candidates
        )


def test_calibration_is_deterministic():
    first = build(checkpoints=["words", "vocabulary"]).calibrate(heldout_pairs())
    second = build(checkpoints=["words", "vocabulary"]).calibrate(heldout_pairs())
    assert first == second
    assert math.isfinite(first["spread"]) and first["spread"] > MIN_SPREAD


def test_real_responses_and_reference_edits_are_bad_at_most_at_the_calibrated_tail():
    pairs = heldout_pairs()
    judge = calibrated(("words", "vocabulary"), pairs)
    data = calibration_set(pairs)
    assert len(data.real) > 300 and len(data.edits) > 300
    for comparisons in (data.real, data.edits):
        flagged = 0
        for candidate, reference in comparisons:
            (verdict,) = judge.judge(
                data.prompts[candidate], data.responses[reference], [data.responses[candidate]]
            )
            assert verdict.bad is not None
            flagged += verdict.bad
        # np.quantile interpolates, so at most (1 - q)(n - 1) + 1 values lie above it.
        assert flagged <= (1 - judge.quantile) * (len(comparisons) - 1) + 1


def test_a_candidate_the_members_disagree_on_is_bad_and_says_why():
    judge = calibrated(("words", "vocabulary"), heldout_pairs())
    prompt, reference = next(iter(references(heldout_pairs()).items()))
    (verdict,) = judge.judge(prompt, reference, [DEGENERATE])
    assert verdict.bad is True
    assert verdict.reasons[0].startswith("ensemble disagreement ")
    assert f"> threshold {judge.spread:.3g} sd" in verdict.reasons[0]
    assert verdict.measure > judge.spread  # its measure: the disagreement, in sd
    assert verdict.reasons[0].startswith(f"ensemble disagreement {verdict.measure:.3g} sd")
    # The standardized margins name each member: length likes it, vocabulary does not.
    assert "words +" in verdict.reasons[1] and "vocabulary -" in verdict.reasons[1]


def test_disagreement_is_the_range_so_one_dissenter_among_three_counts_whole():
    # words and words-affine agree exactly; vocabulary alone dissents on the repetition.
    judge = build(checkpoints=["words", "words-affine", "vocabulary"])
    judge.calibrate(heldout_pairs())
    prompt, reference = next(iter(references(heldout_pairs()).items()))
    (verdict,) = judge.judge(prompt, reference, [DEGENERATE])
    value = float(verdict.reasons[0].split()[2])
    margins = [float(part.split()[-1]) for part in verdict.reasons[1].split(": ")[1].split(", ")]
    assert len(margins) == 3 and margins[0] == pytest.approx(margins[1], abs=1e-2)
    assert value == pytest.approx(max(margins) - min(margins), rel=1e-2)
    assert verdict.bad is True


def test_an_ordinary_new_answer_the_members_agree_on_is_not_bad():
    # Much longer than the reference, all words distinct in both: both members like it
    # by as many of their own sd (raw margins differ by a factor of 400, standardized
    # ones barely), so ignoring the scales would call it bad.
    judge = calibrated(("words", "vocabulary"), PAIRS)
    longer = (
        "Why did the database administrator leave his wife? She had one too many "
        "relationships and kept dropping tables during every quarrel over indexes."
    )
    verdicts = judge.judge(PAIRS[2].prompt, PAIRS[2].chosen, [longer, DEGENERATE])
    assert [v.bad for v in verdicts] == [False, True]


def test_members_that_agree_exactly_are_never_bad():
    judge = calibrated(("words", "words-affine"), heldout_pairs())
    assert judge.spread == MIN_SPREAD  # every calibration disagreement is 0 (up to float)
    assert judge.scales is not None
    assert judge.scales[1] / judge.scales[0] == pytest.approx(1000.0 / 0.05)
    candidates = [DEGENERATE, "", "x", "Why do Java programmers wear glasses? " * 30]
    for prompt, reference in references(heldout_pairs()).items():
        assert not any(v.bad for v in judge.judge(prompt, reference, candidates))


def test_a_number_for_spread_is_used_as_given_and_scales_are_still_calibrated():
    judge = build(checkpoints=["words", "vocabulary"], spread=1000.0)
    fixed = judge.calibrate(PAIRS)
    assert fixed["spread"] == 1000.0 and len(fixed["scales"]) == 2
    (verdict,) = judge.judge(PAIRS[0].prompt, PAIRS[0].chosen, [DEGENERATE])
    assert verdict.bad is False  # 1000 sd is more than this disagreement


def test_one_score_call_per_member_per_prompt_batch():
    calls = {"a": 0, "b": 0}

    def counted(key, fn):
        def member(prompts: list[str], responses: list[str]) -> list[float]:
            calls[key] += 1
            return fn(prompts, responses)

        return Scorer(CallableRewardModel(member, name=key, fingerprint=key))

    judge = DisagreementJudge(
        [counted("a", words), counted("b", vocabulary)], spread=1.0, scales=(1.0, 80.0)
    )
    judge.judge(PAIRS[0].prompt, PAIRS[0].chosen, [DEGENERATE, "one", "two words", "a b c"])
    assert calls == {"a": 1, "b": 1}


def test_a_failing_member_leaves_the_verdict_open_and_is_named():
    judge = build(checkpoints=["words", "flaky"], spread=1.0, scales=[1.0, 1.0])
    verdicts = judge.judge(PAIRS[0].prompt, PAIRS[0].chosen, ["fine", "boom"])
    assert [v.bad for v in verdicts] == [None, None]
    assert "ensemble member flaky failed" in verdicts[0].reasons[0]


@pytest.mark.parametrize(("params", "missing"), [({}, "no spread"), ({"spread": 1.0}, "no scales")])
def test_an_uncalibrated_judge_says_how_to_fix_it(params, missing):
    # The runner calibrates only judges whose suite table says "calibrate" somewhere.
    judge = build(checkpoints=["words", "vocabulary"], **params)
    with pytest.raises(HarnessError, match=f"not calibrated \\({missing}\\)") as info:
        judge.judge(PAIRS[0].prompt, PAIRS[0].chosen, ["x"])
    assert "\n" not in str(info.value) and '= "calibrate"' in str(info.value)


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"checkpoints": []}, "checkpoints"),
        ({"checkpoints": ["words"]}, "checkpoints"),
        ({"checkpoints": ["words", "words"]}, "checkpoints"),
        ({"checkpoints": ["words", "vocabulary"], "spread": 0}, "spread"),
        ({"checkpoints": ["words", "vocabulary"], "spread": -1.5}, "spread"),
        ({"checkpoints": ["words", "vocabulary"], "spread": math.nan}, "spread"),
        ({"checkpoints": ["words", "vocabulary"], "spread": "auto"}, "spread"),
        ({"checkpoints": ["words", "vocabulary"], "quantile": 0.0}, "quantile"),
        ({"checkpoints": ["words", "vocabulary"], "quantile": 1.0}, "quantile"),
        ({"checkpoints": ["words", "vocabulary"], "quantile": 1.5}, "quantile"),
        ({"checkpoints": ["words", "vocabulary"], "scales": [1.0]}, "scales"),
        ({"checkpoints": ["words", "vocabulary"], "scales": [1.0, 0.0]}, "scales"),
    ],
)
def test_bad_parameters_are_one_line_errors_before_any_model_loads(params, parameter):
    load = Loader()
    with pytest.raises(HarnessError) as info:
        build_judges([JudgeSpec(NAME, params)], load)
    message = str(info.value)
    assert NAME in message and repr(parameter) in message and "\n" not in message
    assert load.loaded == []


def test_calibration_refuses_a_member_with_no_spread():
    def constant(prompts: list[str], responses: list[str]) -> list[float]:
        return [1.0] * len(responses)

    judge = DisagreementJudge(
        [Scorer(CallableRewardModel(words)), Scorer(CallableRewardModel(constant))]
    )
    with pytest.raises(HarnessError, match="member 2 gives every real response"):
        judge.calibrate(PAIRS)
    with pytest.raises(HarnessError, match="needs clean preference pairs"):
        judge.calibrate([])
