"""What every judge shares: judgements and how they combine, the registry, specs and building.

How a suite's ``[judges]`` tables become specs (and their errors with line numbers) is
tested with the suite (tests/harness/suite/test_suite.py); here, the judge side.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest

from harness.core.data import PreferencePair
from harness.core.errors import HarnessError
from harness.judges import (
    JUDGES,
    EnsembleJudge,
    FluencyJudge,
    GoldRMJudge,
    HeuristicJudge,
    Judge,
    Judgement,
    JudgeSpec,
    ReviewQueue,
    Verdict,
    build_judges,
    calibrate_judges,
    check_spec,
    combine,
    judge_candidates,
    judge_verdicts,
    measures_of,
    needs_calibration,
    resolve_checkpoints,
)
from harness.models import CallableRewardModel
from harness.scoring import Scorer

PAIRS = [PreferencePair("p", "A Joke About Bytes.", "no", line=1)]


class Fixed(Judge):
    """Says the same about every candidate (test double).

    Second line of the docstring.
    """

    name = "fixed"

    @dataclass(frozen=True)
    class Params:
        verdict: bool | None = True
        reason: str = "fixed"

    def __init__(self, verdict: bool | None = True, reason: str = "fixed") -> None:
        self.verdict, self.reason = verdict, reason
        self.calls: list[list[str]] = []

    @classmethod
    def create(cls, params, load):
        return cls(params.verdict, params.reason)

    def judge(self, prompt, reference, candidates):
        self.calls.append(list(candidates))
        return [Judgement(self.name, self.verdict, (self.reason,)) for _ in candidates]


class Plain(Judge):
    def judge(self, prompt, reference, candidates):
        return [Judgement("plain", None) for _ in candidates]


def length_scorer(spec: str) -> Scorer:
    return Scorer(CallableRewardModel(lambda prompts, responses: [len(r) for r in responses]))


# ------------------------------------------------------------ judgements
def test_combine_keeps_only_bad_reasons_in_order():
    bad, reasons = combine(
        [
            Judgement("a", False, ("fine",)),
            Judgement("b", True, ("junk", "more junk")),
            Judgement("c", None, ("?",)),
            Judgement("d", True, ("noise",)),
        ]
    )
    assert bad is True and reasons == ("b: junk", "b: more junk", "d: noise")
    assert combine([Judgement("a", None, ("?",)), Judgement("b", False, ("ok",))]) == (False, ())
    assert combine([]) == (False, ())


def test_construction_is_a_bad_judgement_naming_the_template():
    judgement = Judgement.construction("repetition")
    assert judgement == Judgement(
        "construction", True, ("degenerate by construction (repetition)",)
    )


def test_judge_candidates_combines_every_judge_per_candidate_in_order():
    says_bad, says_fine = Fixed(True, "junk"), Fixed(False, "fine")
    decisions = judge_candidates([says_fine, says_bad], "p", "ref", ["x", "y"])
    assert decisions == [(True, ("fixed: junk",)), (True, ("fixed: junk",))]
    assert says_bad.calls == [["x", "y"]]  # one call per judge with every candidate
    assert judge_candidates([says_fine], "p", "ref", ["x", "y"]) == [(False, ())] * 2

    class Second(Judge):
        def judge(self, prompt, reference, candidates):
            return [Judgement("second", c == "b", (c,)) for c in candidates]

    assert judge_candidates([Second()], "p", "r", ["a", "b", "c"]) == [
        (False, ()),
        (True, ("second: b",)),
        (False, ()),
    ]


def test_verdicts_keep_every_judges_measure_whatever_it_decided():
    class Measures(Judge):
        name = "measures"

        def __init__(self, bad: bool | None) -> None:
            self.bad = bad

        def judge(self, prompt, reference, candidates):
            return [Judgement(f"m{self.bad}", self.bad, ("why",), measure=1.5) for _ in candidates]

    judges = [Measures(True), Measures(False), Measures(None), Fixed(False, "no measure")]
    (verdict,) = judge_verdicts(judges, "p", "ref", ["x"], construction="shell")
    assert verdict == Verdict(
        True,
        ("mTrue: why", "construction: degenerate by construction (shell)"),
        {"mTrue": 1.5, "mFalse": 1.5, "mNone": 1.5},
    )
    assert judge_candidates(judges, "p", "ref", ["x"]) == [(True, ("mTrue: why",))]
    assert measures_of([Judgement("a", None), Judgement("b", False, measure=0)]) == {"b": 0.0}
    assert judge_verdicts(judges, "p", "ref", []) == []


def test_judge_candidates_adds_the_construction_judgement():
    decisions = judge_candidates([Fixed(False)], "p", "ref", ["the the"], construction="repetition")
    assert decisions == [(True, ("construction: degenerate by construction (repetition)",))]
    assert judge_candidates([], "p", "ref", ["x"], construction="shell") == [
        (True, ("construction: degenerate by construction (shell)",))
    ]
    assert judge_candidates([], "p", "ref", ["x"]) == [(False, ())]


def test_judge_candidates_of_nothing_asks_no_judge():
    judge = Fixed()
    assert judge_candidates([judge], "p", "ref", [], construction="shell") == []
    assert judge.calls == []


# ----------------------------------------------------------- the base class
def test_a_judges_defaults():
    judge = Plain()
    assert Plain.create(Plain.Params(), length_scorer).__class__ is Plain
    assert judge.rm_scorers() == () and judge.calibrate(PAIRS) == {}
    assert repr(judge) == "Plain(name='judge')"
    assert Fixed.description() == "Says the same about every candidate (test double)."
    assert Plain.description() == ""


def test_judge_spec_round_trips_through_json():
    spec = JudgeSpec("gold-rm", {"checkpoint": "g/", "margin": 0.5})
    assert spec.to_json() == {"name": "gold-rm", "params": {"checkpoint": "g/", "margin": 0.5}}
    assert JudgeSpec.from_json(spec.to_json()) == spec
    assert JudgeSpec.from_json({"name": "heuristic"}) == JudgeSpec("heuristic", {})


# -------------------------------------------------------------- the registry
def test_every_builtin_judge_is_registered():
    builtins = {
        "heuristic": HeuristicJudge,
        "gold-rm": GoldRMJudge,
        "ensemble": EnsembleJudge,
        "human": ReviewQueue,
        "fluency": FluencyJudge,
    }
    for name, cls in builtins.items():
        assert JUDGES.get(name) is cls and JUDGES.origin(name) == "builtin"
    assert set(builtins) <= set(JUDGES.names())


def test_the_registry_refuses_what_is_not_a_judge():
    class NotAJudge:
        name = "not-a-judge"

    class BadParams(Fixed):
        name = "bad-params"
        Params = dict  # not a dataclass

    with pytest.raises(TypeError, match="is not a Judge subclass"):
        JUDGES.register(NotAJudge)
    with pytest.raises(TypeError, match="is not a Judge subclass"):
        JUDGES.register(Fixed())  # an instance, not the class
    with pytest.raises(TypeError, match=r"BadParams\.Params must be a dataclass"):
        JUDGES.register(BadParams)
    with pytest.raises(TypeError, match="judge name 'heuristic' is taken"):
        JUDGES.register(type("Impostor", (Fixed,), {"name": "heuristic"}))
    assert "not-a-judge" not in JUDGES and "bad-params" not in JUDGES


def test_a_registered_judge_is_built_from_its_spec_in_order():
    with JUDGES.temporarily(Fixed):
        judges = build_judges(
            [
                JudgeSpec("fixed", {"verdict": False, "reason": "looks fine"}),
                JudgeSpec("heuristic", {"max_repetition": 0.25}),
                JudgeSpec("fixed"),
            ],
            length_scorer,
        )
    assert "fixed" not in JUDGES  # registered for the block only
    first, heuristic, last = judges
    assert isinstance(first, Fixed) and (first.verdict, first.reason) == (False, "looks fine")
    assert isinstance(heuristic, HeuristicJudge) and heuristic.max_repetition == 0.25
    assert isinstance(last, Fixed) and (last.verdict, last.reason) == (True, "fixed")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (JudgeSpec("oracle"), r"unknown judge 'oracle'; choose one of: .*gold-rm.*heuristic"),
        (JudgeSpec("heuristic", {"max_repetiton": 0.4}), "has no parameter 'max_repetiton'"),
        (JudgeSpec("gold-rm", {"margin": 0.1}), "judge 'gold-rm' needs parameter 'checkpoint'"),
        (
            JudgeSpec("gold-rm", {"checkpoint": "g/", "margin": "wide"}),
            "judge 'gold-rm' parameter 'margin' must be float or 'calibrate', got str 'wide'",
        ),
        (JudgeSpec("ensemble", {"checkpoints": "a/"}), "parameter 'checkpoints' must be tuple"),
    ],
)
def test_bad_specs_are_one_line_errors(spec, message):
    with pytest.raises(HarnessError, match=message):
        check_spec(spec)
    with pytest.raises(HarnessError, match=message):
        build_judges([spec], length_scorer)


def test_check_spec_returns_the_checked_params():
    params = check_spec(JudgeSpec("ensemble", {"checkpoints": ["a/", "b/"], "quorum": 1}))
    assert params == EnsembleJudge.Params(checkpoints=("a/", "b/"), quorum=1.0)


def test_resolve_checkpoints_passes_only_checkpoint_params_through():
    def resolve(spec: str) -> str:
        return f"/abs/{spec}"

    gold = JudgeSpec("gold-rm", {"checkpoint": "g/", "margin": "calibrate"})
    assert resolve_checkpoints(gold, resolve) == JudgeSpec(
        "gold-rm", {"checkpoint": "/abs/g/", "margin": "calibrate"}
    )
    ensemble = JudgeSpec("ensemble", {"checkpoints": ("a/", "b/"), "quorum": 0.5})
    assert resolve_checkpoints(ensemble, resolve) == JudgeSpec(
        "ensemble", {"checkpoints": ["/abs/a/", "/abs/b/"], "quorum": 0.5}
    )
    heuristic = JudgeSpec("heuristic", {"max_repetition": 0.4})
    assert resolve_checkpoints(heuristic, resolve) == heuristic
    assert resolve_checkpoints(JudgeSpec("ensemble"), resolve) == JudgeSpec("ensemble", {})


# ------------------------------------------------------------- calibration
def test_needs_calibration_reads_given_and_default_params():
    assert needs_calibration(JudgeSpec("gold-rm", {"checkpoint": "g/"}))  # the default
    assert needs_calibration(JudgeSpec("gold-rm", {"checkpoint": "g/", "margin": "calibrate"}))
    assert not needs_calibration(JudgeSpec("gold-rm", {"checkpoint": "g/", "margin": 0.0}))
    assert not needs_calibration(JudgeSpec("heuristic"))


def test_calibrate_judges_fixes_calibrate_params_in_the_specs():
    specs = [
        JudgeSpec("heuristic"),
        JudgeSpec("gold-rm", {"checkpoint": "g/"}),
        JudgeSpec("gold-rm", {"checkpoint": "h/", "margin": 0.5}),
    ]

    def case_sensitive(spec):
        return Scorer(
            CallableRewardModel(lambda p, r: [len(x) - sum(map(str.isupper, x)) for x in r])
        )

    judges = build_judges(specs, case_sensitive)
    calibrated = calibrate_judges(specs, judges, PAIRS)
    margin = judges[1].margin
    assert margin > 0  # calibrated, and the judge itself now uses it
    assert calibrated == (
        specs[0],
        JudgeSpec("gold-rm", {"checkpoint": "g/", "margin": margin}),
        specs[2],  # a given margin is not recalibrated
    )
    assert judges[2].margin == 0.5
    assert not any(needs_calibration(spec) for spec in calibrated)


def test_calibrate_judges_needs_one_judge_per_spec():
    with pytest.raises(ValueError):
        calibrate_judges([JudgeSpec("heuristic"), JudgeSpec("heuristic")], [Plain()], PAIRS)


def test_judgements_specs_and_params_are_immutable_values():
    values = [
        Judgement("a", True, ("r",)),
        JudgeSpec("heuristic"),
        Judge.Params(),
        HeuristicJudge(),
    ]
    for value in values:
        with pytest.raises(dataclasses.FrozenInstanceError):
            value.name = "changed"  # type: ignore[misc]
    assert hash(Judgement("a", True, ("r",))) == hash(Judgement("a", True, ("r",)))


@pytest.mark.parametrize(
    ("name", "params"),
    [("heuristic", {}), ("gold-rm", {"checkpoint": "g/"}), ("ensemble", {}), ("human", {})],
)
def test_every_judges_params_are_frozen(name, params):
    """Params are what a run records: once checked they cannot change under the judge."""
    checked = check_spec(JudgeSpec(name, params))
    field = dataclasses.fields(checked)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(checked, field, None)
