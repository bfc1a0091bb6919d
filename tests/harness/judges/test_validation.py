"""Judge validation's rates on hand-made verdicts: counts, Wilson intervals, per-kind
precision, undecided rows and the judges combined as the finding rule combines them."""

from __future__ import annotations

import pytest
from statsmodels.stats.proportion import proportion_confint

from harness.judges import Judge, Judgement
from harness.judges.labelled import LabelledRow
from harness.judges.validation import (
    COMBINED,
    JudgeMeasure,
    Rate,
    combined_verdicts,
    judge_rows,
    measure,
    validate_judges,
)


def _rows(kind: str, label: int, n: int, prompt: str = "p") -> list[LabelledRow]:
    return [LabelledRow(prompt, "ref", f"{kind} {i}", label, kind) for i in range(n)]


def test_wilson_interval_is_statsmodels():
    rate = Rate.of(7, 40)
    low, high = proportion_confint(7, 40, alpha=0.05, method="wilson")
    assert (rate.hits, rate.trials, rate.value) == (7, 40, 7 / 40)
    assert rate.low == pytest.approx(low) and rate.high == pytest.approx(high)
    assert Rate.of(0, 0).value is None and str(Rate.of(0, 0)) == "-"


def test_rates_and_per_kind_precision_on_hand_made_counts():
    rows = _rows("good", 0, 50) + _rows("soup", 1, 20) + _rows("shuffled", 1, 30)
    # 2 false positives on good, 18/20 soups and 6/30 shuffled flagged.
    verdicts = [i < 2 for i in range(50)] + [i < 18 for i in range(20)] + [i < 6 for i in range(30)]
    m = measure("j", rows, verdicts)
    assert (m.rows, m.flagged, m.undecided) == (100, 26, 0)
    assert (m.recall.hits, m.recall.trials) == (24, 50)
    assert (m.false_positive_rate.hits, m.false_positive_rate.trials) == (2, 50)
    assert (m.precision.hits, m.precision.trials) == (24, 26)
    soup, shuffled = m.kind("soup"), m.kind("shuffled")
    assert (soup.recall.hits, soup.recall.trials) == (18, 20)
    # per-kind precision: TP_kind / (TP_kind + FP on every good row)
    assert (soup.precision.hits, soup.precision.trials) == (18, 20)
    assert (shuffled.precision.hits, shuffled.precision.trials) == (6, 8)
    assert soup.false_positive_rate is None and m.kind("good").recall is None
    assert m.kind("good").precision is None
    assert m.kind("good").false_positive_rate.value == pytest.approx(0.04)


def test_undecided_rows_are_counted_apart_and_are_not_flagged():
    rows = _rows("good", 0, 4) + _rows("soup", 1, 4)
    verdicts = [None, True, False, False, None, None, True, True]
    m = measure("j", rows, verdicts)
    assert m.undecided == 3 and m.kind("soup").undecided == 2
    assert m.recall.value == 0.5  # two undecided soups are misses
    assert m.false_positive_rate.value == 0.25  # the undecided good row is no false positive


def test_a_users_single_kind_holds_both_labels():
    rows = _rows("all", 0, 3) + _rows("all", 1, 3)
    m = measure("j", rows, [False, False, True, True, True, False])
    (kind,) = m.kinds
    assert (kind.recall.hits, kind.recall.trials) == (2, 3)
    assert (kind.false_positive_rate.hits, kind.false_positive_rate.trials) == (1, 3)
    assert (kind.precision.hits, kind.precision.trials) == (2, 3)


def test_combined_is_the_finding_rule():
    assert combined_verdicts([[True, False, None, None], [False, False, False, None]]) == [
        True,
        False,
        False,
        None,
    ]


class _Says(Judge):
    """Bad when the text contains its word; asked once per (prompt, reference)."""

    name = "says"

    def __init__(self, word: str) -> None:
        self.word = word
        self.calls: list[tuple[str, str, int]] = []

    def judge(self, prompt, reference, candidates):
        self.calls.append((prompt, reference, len(candidates)))
        return [Judgement(self.name, self.word in c) for c in candidates]


def test_judges_are_asked_per_prompt_and_reference_and_combined():
    rows = _rows("good", 0, 2, "a") + _rows("soup", 1, 2, "a") + _rows("soup", 1, 2, "b")
    first, second = _Says("soup 0"), _Says("soup 1")
    assert judge_rows(first, rows) == [False, False, True, False, True, False]
    assert first.calls == [("a", "ref", 4), ("b", "ref", 2)]
    measures = validate_judges([(first, {}), (second, {"x": 1})], rows)
    assert [m.judge for m in measures] == ["says", "says", COMBINED]
    assert measures[1].params == {"x": 1}
    assert measures[2].recall.value == 1.0


def test_measures_read_back_from_json():
    rows = _rows("good", 0, 3) + _rows("soup", 1, 3)
    m = measure("j", rows, [False, True, None, True, True, False], params={"m": 1}, seconds=0.5)
    assert JudgeMeasure.from_json(m.to_json()) == m
    assert "recall=" in repr(m)


def test_a_verdict_per_row():
    with pytest.raises(ValueError, match="2 verdicts for 1 rows"):
        measure("j", _rows("good", 0, 1), [True, False])


def test_a_judges_reward_models_score_every_row_in_one_batched_pass():
    """The per-prompt calls then read the scorer's cache; the verdicts are the judge's."""
    from harness.judges import GoldRMJudge
    from harness.models import CallableRewardModel
    from harness.scoring import Scorer

    def length(prompts, responses):
        return [float(len(r)) for r in responses]

    rows = _rows("good", 0, 3, "a") + _rows("soup", 1, 3, "b")
    rows.append(LabelledRow("b", "ref", "x", 1, "truncated"))
    scorer = Scorer(CallableRewardModel(length), batch_size=64)
    judge = GoldRMJudge(scorer, margin=0.5)
    assert judge_rows(judge, rows) == [False] * 6 + [True]  # "x" is shorter than "ref"
    assert scorer.stats.batches == 1 and scorer.stats.queries == 9  # 7 texts, 2 references
