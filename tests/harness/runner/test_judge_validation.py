"""Preparing judges for validation: optional judges that cannot load are skipped with why;
calibration reads the pairs it is given, never the labelled rows."""

from __future__ import annotations

import pytest

from harness.core.errors import HarnessError
from harness.judges import JudgeSpec
from harness.judges.labelled import LabelledRow
from harness.runner.judge_validation import kind_counts, prepare_judges


def test_an_optional_judge_that_is_not_registered_is_skipped():
    ready, skipped = prepare_judges(
        [JudgeSpec("heuristic"), JudgeSpec("no-such-judge")],
        optional=frozenset({"no-such-judge"}),
        calibration=lambda: pytest.fail("nothing to calibrate"),
    )
    assert [judge.name for judge, _spec in ready] == ["heuristic"]
    assert [(s.judge, s.reason) for s in skipped] == [
        ("no-such-judge", "judge 'no-such-judge' is not registered")
    ]


def test_an_optional_judge_that_fails_to_load_is_skipped_and_a_named_one_fails():
    gold = JudgeSpec("gold-rm", {"checkpoint": "/nonexistent/gold", "margin": 0.5})
    ready, skipped = prepare_judges([gold], optional=frozenset({"gold-rm"}))
    assert ready == [] and skipped[0].judge == "gold-rm" and "\n" not in skipped[0].reason
    with pytest.raises(HarnessError):
        prepare_judges([gold])


def test_kind_counts():
    rows = [LabelledRow("p", "r", "t", 1, "soup"), LabelledRow("p", "r", "u", 0, "good")]
    assert kind_counts(rows) == {"soup": {"rows": 1, "bad": 1}, "good": {"rows": 1, "bad": 0}}
