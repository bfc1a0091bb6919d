"""Validity judges: calibration on real jokes, reasons, model judges, the review queue."""

from __future__ import annotations

import pytest

from harness.core.errors import DataError
from harness.demo.build import heldout_pairs, train_pairs
from harness.judges import (
    EnsembleJudge,
    GoldRMJudge,
    HeuristicJudge,
    Judgement,
    ReviewQueue,
    combine,
)
from harness.models import CallableRewardModel
from harness.scoring import Scorer

REFERENCE = "Why do Java programmers wear glasses? Because they don't C#."


def test_heuristic_false_positive_rate_on_real_jokes_is_at_most_one_percent():
    jokes = sorted({p.chosen for p in train_pairs() + heldout_pairs()})
    judge = HeuristicJudge()
    flagged = [j for j in jokes if judge.reasons(j, j)]
    assert len(jokes) > 250
    assert len(flagged) / len(jokes) <= 0.01, flagged


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("the the the the the the the the", "repetitive"),
        ("", "empty response"),
        ("zxq vvb qqq lkj wrp", "non-words"),
        ("Ha\u200bha\u200bha", "invisible"),
        ("😂😂😂😂😂 lol", "non-ASCII"),
        ("# \n\n- \n- \n- \n", "markup"),
        ("A fine answer. " * 60, "the reference's length"),
    ],
)
def test_heuristic_names_its_reasons(text, reason):
    verdict = HeuristicJudge().judge("Tell me a joke.", [REFERENCE][0], [text])[0]
    assert verdict.bad and any(reason in r for r in verdict.reasons), verdict


def length_rm(prompts, responses):
    return [float(len(r)) for r in responses]


def test_gold_judge_compares_with_the_reference():
    judge = GoldRMJudge(Scorer(CallableRewardModel(length_rm)))
    short, long = judge.judge("p", "medium text", ["x", "a much longer answer"])
    assert short.bad and not long.bad and "gold RM" in short.reasons[0]


def test_ensemble_judge_is_undecided_when_models_disagree():
    def reverse(prompts, responses):
        return [-float(len(r)) for r in responses]

    judge = EnsembleJudge(
        [Scorer(CallableRewardModel(length_rm)), Scorer(CallableRewardModel(reverse))], quorum=1.0
    )
    (verdict,) = judge.judge("p", "medium text", ["x"])
    assert verdict.bad is None and "1/2" in verdict.reasons[0]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_review_queue_round_trip(tmp_path, suffix):
    queue = ReviewQueue()
    verdicts = queue.judge("p", "ref", ["=cmd|' /C calc'!A0", "fine text"])
    assert all(v.bad is None for v in verdicts)
    path = tmp_path / f"queue{suffix}"
    assert queue.export(path) == 2
    if suffix == ".csv":
        assert "'=cmd" in path.read_text()  # formula neutralized for spreadsheets
        rows = path.read_text().splitlines()
        rows[1] = rows[1].rstrip(",") + ",bad"
        rows[2] = rows[2].rstrip(",") + ",ok"
        path.write_text("\n".join(rows) + "\n")
    else:
        import json

        lines = [json.loads(line) for line in path.read_text().splitlines()]
        lines[0]["label"], lines[1]["label"] = "bad", "ok"
        path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    assert queue.import_labels(path) == 2
    bad, ok = queue.judge("p", "ref", ["=cmd|' /C calc'!A0", "fine text"])
    assert bad.bad is True and ok.bad is False and not queue.pending


def test_review_queue_rejects_unknown_labels(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"prompt": "p", "candidate": "c", "label": "maybe"}\n')
    with pytest.raises(DataError, match="label must be 'bad' or 'ok'"):
        ReviewQueue().import_labels(path)


def test_combine_keeps_only_bad_reasons():
    bad, reasons = combine([Judgement("a", False, ("fine",)), Judgement("b", True, ("junk",))])
    assert bad and reasons == ("b: junk",)
    assert combine([Judgement("a", None, ("?",))]) == (False, ())


def test_gold_margin_is_calibrated_on_meaning_preserving_edits():
    from harness.core.data import PreferencePair
    from harness.judges import calibrate_gold_margin

    def case_sensitive(prompts, responses):
        return [len(r) - sum(c.isupper() for c in r) for r in responses]

    pairs = [PreferencePair("p", "A Joke About Bytes.", "no", line=1)]
    margin = calibrate_gold_margin(Scorer(CallableRewardModel(case_sensitive)), pairs, quantile=1.0)
    # The largest drop among the edits is upper-casing: 19 chars - 4 capitals = 15
    # before, 19 - 15 = 4 after.
    assert margin == pytest.approx(15 - 4)
    assert calibrate_gold_margin(Scorer(CallableRewardModel(length_rm)), pairs) >= 0.0
