"""The fluency judge: the relative NLL's sign and value, the end-of-turn token, caching,
batching, the margin's checks and calibration, and one-line errors for bad input.

A tiny random Llama causal LM (built and saved here) stands in for SmolLM2: its numbers
mean nothing about fluency, but the statistic is arithmetic on its log probabilities, so
it is checked against ``CausalLM.sequence_logprobs`` computed by hand. The calibration
claim on real jokes needs the real LM: ``test_fluency_slow.py``.
"""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest

from harness.core.data import PreferencePair
from harness.core.errors import CheckpointError, HarnessError
from harness.judges import JUDGES, FluencyJudge, JudgeSpec, build_judges, check_spec
from harness.judges.fluency import DEFAULT_MARGIN, calibration_comparisons
from harness.models import device
from harness.models.causal_lm import CausalLM, shared_causal_lm
from harness.testing import build_tiny_causal_lm

PROMPT = "Tell me a joke about bytes."
REFERENCE = "Why do programmers wear glasses? Because they cannot C sharp."
CANDIDATES = [
    "Chuck Norris can divide by zero.",
    "the the the the the the",
    "A byte walks into a bar and orders a bit.",
    "zq",
]


def no_load(spec: str):
    raise AssertionError(f"the fluency judge loads no reward model, asked for {spec!r}")


@pytest.fixture(scope="module")
def lm_path(tmp_path_factory: pytest.TempPathFactory):
    return build_tiny_causal_lm(tmp_path_factory.mktemp("fluency") / "lm", chat_template=True)


@pytest.fixture(scope="module")
def lm(lm_path) -> CausalLM:
    return CausalLM.load(lm_path)


def by_hand(lm: CausalLM, judge: FluencyJudge, text: str) -> float:
    """Mean NLL of ``text`` (and the end of turn) after PROMPT, from ``sequence_logprobs``."""
    ids = judge.response_ids(text)
    return -float(lm.sequence_logprobs([lm.encode_prompt(PROMPT)], [ids])[0]) / len(ids)


def test_the_reference_against_itself_is_zero_and_fine(lm):
    (same,) = FluencyJudge(lm, margin=0.0).judge(PROMPT, REFERENCE, [REFERENCE])
    assert same.measure == pytest.approx(0.0, abs=1e-12)
    assert same.bad is False and same.judge == "fluency"


def test_the_statistic_is_mean_nll_minus_the_references_computed_by_hand(lm):
    judge = FluencyJudge(lm, margin=0.0)
    reference = by_hand(lm, judge, REFERENCE)
    judged = judge.judge(PROMPT, REFERENCE, CANDIDATES)
    for text, judgement in zip(CANDIDATES, judged, strict=True):
        relative = by_hand(lm, judge, text) - reference
        assert judgement.measure == pytest.approx(relative, abs=1e-6)
        assert judgement.bad is (relative > 0)  # margin 0: anything less fluent is bad
    # The sign: above 0 is less likely than the reference, below 0 likelier; swapping
    # the candidate and the reference flips it.
    swapped = [judge.judge(PROMPT, text, [REFERENCE])[0].measure for text in CANDIDATES]
    assert np.allclose(swapped, [-j.measure for j in judged], atol=1e-12, rtol=0)


def test_bad_only_above_the_margin_and_the_reason_says_the_numbers(lm):
    judge = FluencyJudge(lm, margin=0.0)
    # The likeliest of the candidates as the reference: REFERENCE is less fluent than it.
    likeliest = min(CANDIDATES, key=lambda text: by_hand(lm, judge, text))
    (probe,) = judge.judge(PROMPT, likeliest, [REFERENCE])
    relative = probe.measure
    assert relative > 0 and probe.bad is True
    below = FluencyJudge(lm, margin=relative - 1e-3).judge(PROMPT, likeliest, [REFERENCE])
    above = FluencyJudge(lm, margin=relative + 1e-3).judge(PROMPT, likeliest, [REFERENCE])
    assert (below[0].bad, above[0].bad) == (True, False)
    reference = by_hand(lm, judge, likeliest)
    assert above[0].reasons == (
        f"mean NLL {reference + relative:.2f} nats/token, {relative:.2f} above the reference's "
        f"{reference:.2f}; margin {relative + 1e-3:.2f}",
    )


def test_the_end_of_turn_token_is_scored_after_the_text(lm):
    """The tiny template ends a turn with its EOS: a truncated text pays for ending there."""
    judge = FluencyJudge(lm)
    own = lm.tokenizer("Why do", add_special_tokens=False)["input_ids"]
    assert judge.response_ids("Why do") == [*own, lm.tokenizer.eos_token_id]


def test_an_empty_candidate_or_reference_is_undecided_with_a_reason(lm):
    judge = FluencyJudge(lm)
    empty, blank, fine = judge.judge(PROMPT, REFERENCE, ["", "  \n", REFERENCE])
    assert (empty.bad, empty.measure, blank.bad) == (None, None, None)
    assert empty.reasons == ("empty response: no fluency to measure",)
    assert fine.bad is False
    (no_reference,) = judge.judge(PROMPT, " ", ["a joke"])
    assert no_reference.bad is None and "reference is empty" in no_reference.reasons[0]
    assert judge.judge(PROMPT, REFERENCE, []) == []


def test_a_text_longer_than_the_lm_reads_is_undecided(lm):
    judge = FluencyJudge(lm)
    long = "bytes " * (lm.max_positions + 10)
    (too_long,) = judge.judge(PROMPT, REFERENCE, [long])
    assert too_long.bad is None and f"{lm.max_positions} positions" in too_long.reasons[0]


def test_each_prompt_and_text_is_scored_once(lm, monkeypatch):
    import harness.models.continuations as continuations

    calls: list[int] = []
    real = continuations.continuation_logprobs

    def counting(lm, prompt_ids, response_ids, **kwargs):
        calls.append(len(response_ids))
        return real(lm, prompt_ids, response_ids, **kwargs)

    monkeypatch.setattr(continuations, "continuation_logprobs", counting)
    judge = FluencyJudge(lm)
    first = judge.judge(PROMPT, REFERENCE, CANDIDATES)
    again = judge.judge(PROMPT, REFERENCE, [*CANDIDATES, CANDIDATES[0]])
    assert calls == [1 + len(CANDIDATES)]  # one call: the reference and every candidate once
    assert [j.measure for j in again] == [j.measure for j in first] + [first[0].measure]
    judge.judge(PROMPT, REFERENCE, ["a new one"])
    assert calls == [1 + len(CANDIDATES), 1]  # the reference is not read again
    judge.judge("Another prompt.", REFERENCE, ["a new one"])
    assert calls[-1] == 2  # another prompt: its own reference NLL


def test_batch_size_does_not_change_the_numbers(lm):
    texts = [*CANDIDATES, "Bits and bytes, bits and bytes.", "Why? Because."]
    one = [j.measure for j in FluencyJudge(lm, batch_size=1).judge(PROMPT, REFERENCE, texts)]
    eight = [j.measure for j in FluencyJudge(lm, batch_size=8).judge(PROMPT, REFERENCE, texts)]
    assert np.allclose(one, eight, atol=1e-6, rtol=0)


@pytest.mark.parametrize(
    ("margin", "fragment"),
    [
        (math.nan, "must be finite, got nan"),
        (math.inf, "must be finite, got inf"),
        (-0.5, "must be at least 0"),
        ("wide", "must be float or 'calibrate'"),
        (True, "must be float or 'calibrate'"),
    ],
)
def test_a_margin_that_is_not_a_finite_number_is_one_line(margin, fragment):
    with pytest.raises(HarnessError, match=fragment) as info:
        check_spec(JudgeSpec("fluency", {"margin": margin}))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"batch_size": 0}, "'batch_size' must be at least 1"),
        ({"dtype": "int8"}, "parameter 'dtype' must be"),
        ({"lm": ""}, "'lm' must name a causal LM"),
        ({"temperature": 1.0}, "has no parameter 'temperature'"),
    ],
)
def test_bad_parameters_are_one_line(params, fragment):
    with pytest.raises(HarnessError, match=fragment):
        check_spec(JudgeSpec("fluency", params))


def test_the_dtype_choices_are_the_devices(lm):
    """The ``dtype`` parameter's choices are typed without importing torch; they must be
    the names ``harness.models.device`` reads."""
    import typing

    hints = typing.get_type_hints(FluencyJudge.Params)
    assert set(typing.get_args(hints["dtype"])) == {"auto", *device.DTYPES}


def test_built_from_a_suite_spec_through_the_shared_lm(lm_path):
    assert JUDGES.get("fluency") is FluencyJudge
    assert check_spec(JudgeSpec("fluency", {})).margin == DEFAULT_MARGIN
    (judge,) = build_judges([JudgeSpec("fluency", {"lm": str(lm_path), "margin": 0.5})], no_load)
    assert isinstance(judge, FluencyJudge) and judge.margin == 0.5
    assert judge.lm is shared_causal_lm(lm_path)  # one LM per process and options
    assert "FluencyJudge(lm=" in repr(judge) and "margin=0.5" in repr(judge)


def test_a_path_that_is_not_a_causal_lm_is_a_one_line_error(checkpoints, tmp_path):
    for source, fragment in (
        (checkpoints["llama"], "not a causal language model"),  # a reward model
        (tmp_path / "nothing", "does not exist"),
    ):
        with pytest.raises(CheckpointError, match=fragment) as info:
            build_judges([JudgeSpec("fluency", {"lm": str(source)})], no_load)
        assert "\n" not in str(info.value)


def test_an_uncalibrated_judge_says_how_to_fix_it(lm):
    with pytest.raises(HarnessError, match='margin = "calibrate"'):
        FluencyJudge(lm, margin=None).judge(PROMPT, REFERENCE, ["x"])


JOKES = {
    "Tell me a joke about bytes.": [
        "Why do programmers wear glasses? Because they cannot C sharp.",
        "A byte walks into a bar and orders a bit.",
        "There are 10 kinds of people: those who read binary and those who do not.",
    ],
    "Say something about Chuck Norris.": [
        "Chuck Norris can divide by zero.",
        "Chuck Norris counted to infinity. Twice.",
    ],
    "One answer only.": ["A lonely joke."],
}


def joke_pairs() -> list[PreferencePair]:
    pairs = []
    for prompt, jokes in JOKES.items():
        for joke in jokes:
            pairs += [PreferencePair(prompt, joke, "no", line=0)] * 2  # repeats count once
    return pairs


def test_calibration_compares_each_real_joke_with_the_next_for_its_prompt():
    comparisons = calibration_comparisons(joke_pairs())
    bytes_jokes = JOKES["Tell me a joke about bytes."]
    assert comparisons[:3] == [
        ("Tell me a joke about bytes.", bytes_jokes[0], bytes_jokes[1]),
        ("Tell me a joke about bytes.", bytes_jokes[1], bytes_jokes[2]),
        ("Tell me a joke about bytes.", bytes_jokes[2], bytes_jokes[0]),
    ]
    assert len(comparisons) == 5  # the prompt with one joke has nothing to compare with


def test_calibrate_fixes_the_margin_at_the_quantile_of_real_comparisons(lm):
    judge = FluencyJudge(lm, margin=None)
    fixed = judge.calibrate(joke_pairs())
    values = [
        judge.judge(prompt, reference, [candidate])[0].measure
        for prompt, candidate, reference in calibration_comparisons(joke_pairs())
    ]
    assert fixed == {"margin": judge.margin}
    assert judge.margin == pytest.approx(max(values), abs=1e-12)  # 5 values: the 99% is the max
    assert not any(
        judge.judge(p, r, [c])[0].bad for p, c, r in calibration_comparisons(joke_pairs())
    )


def test_calibration_without_two_jokes_for_any_prompt_is_one_line(lm):
    with pytest.raises(HarnessError, match="no prompt has two distinct chosen responses"):
        FluencyJudge(lm, margin=None).calibrate([PreferencePair("p", "only", "no", line=0)])


SUITE = """
name = "fluency-errors"
seed = 0
[data]
source = "pairs.jsonl"
[judges.fluency]
{judge}
[[attacks]]
name = "repetition"
budget = 5
"""


@pytest.mark.parametrize(
    ("judge", "fragment"),
    [
        ("margin = nan", "judge 'fluency' parameter 'margin' must be finite, got nan"),
        ("margin = -inf", "must be finite, got -inf"),
        ('lm = "{rm}"', "is not a causal language model"),
        ('lm = "{missing}"', "does not exist"),
        ('lm = "{fake}"', "is not a GGUF file"),
        ('lm = "{truncated}"', "truncated.gguf is a damaged GGUF file"),
    ],
)
def test_rmh_run_stops_on_a_bad_fluency_judge_with_one_line(
    rmh, one_line_error, checkpoints, tmp_path, judge, fragment
):
    (tmp_path / "pairs.jsonl").write_text(
        '{"prompt": "Tell me a joke.", "chosen": "A joke.", "rejected": "No."}\n'
    )
    (tmp_path / "fake.gguf").write_bytes(b"PK\x03\x04 not a gguf")
    (tmp_path / "truncated.gguf").write_bytes(b"GGUF\x03\x00\x00\x00" + b"\x00" * 7)
    judge = judge.format(
        rm=checkpoints["llama"],
        missing=tmp_path / "no-lm",
        fake=tmp_path / "fake.gguf",
        truncated=tmp_path / "truncated.gguf",
    )
    (tmp_path / "suite.toml").write_text(SUITE.format(judge=judge))
    code, _out, err = rmh(
        "run", str(checkpoints["bert"]), "--suite", str(tmp_path / "suite.toml"),
        "--out", str(tmp_path / "run"), "--store", str(tmp_path / "f.db"), "--quiet",
    )  # fmt: skip
    if "GGUF" not in fragment and "gguf" in judge and not gguf_readable():
        fragment = "reading a GGUF file needs"  # without the policy extra: that, in one line
    one_line_error(code, err, fragment)


def gguf_readable() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("gguf", "accelerate"))
