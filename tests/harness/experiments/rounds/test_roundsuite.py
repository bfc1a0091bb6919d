"""A round's suite: the calibrated budgets replace the suite's for the attacks they name,
and without them the suite's budgets stand, text and all."""

from __future__ import annotations

from pathlib import Path

from harness.experiments.rounds.roundsuite import round_suite
from harness.suite import parse_suite
from tests.harness.experiments.rounds import planted


def suite():
    return parse_suite(planted.SUITE, origin="planted", base_dir=None)


def budgets(text_suite) -> dict[str, int]:
    return {a.id: a.budget for a in text_suite.config.attacks}


def test_calibrated_budgets_replace_the_suites_for_the_attacks_they_name(tmp_path: Path):
    source = tmp_path / "prompts.jsonl"
    plain = round_suite(suite(), source=source, seed=5, label="round 0")
    none = round_suite(suite(), source=source, seed=5, budgets={}, label="round 0")
    calibrated = round_suite(
        suite(), source=source, seed=5, budgets={"repetition": 7}, label="round 0"
    )
    assert budgets(plain) == {"repetition": 30, "null-answer": 20}  # the suite's own
    assert none.text == plain.text and "budgets calibrated" not in plain.text
    assert budgets(calibrated) == {"repetition": 7, "null-answer": 20}
    assert "# budgets calibrated before round 0: { repetition = 7 }" in calibrated.text
    # nothing else changes: the same text once the budget and its comment are set aside
    rest = [
        line
        for line in calibrated.text.splitlines()
        if line not in ("budget = 7", "# budgets calibrated before round 0: { repetition = 7 }")
    ]
    assert rest == [line for line in plain.text.splitlines() if line != "budget = 30"]
