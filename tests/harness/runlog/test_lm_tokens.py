"""``lm_tokens``: an attack's language-model cost, carried from its outcome to the log's
attempt and completion entries and ``summary.json``, apart from the queries; old logs read 0."""

from __future__ import annotations

import json

from attacks.base import AttackOutcome
from harness.gate import GatePolicy
from harness.runlog import AttemptEntry
from harness.runlog.log import LOG_NAME
from harness.runlog.metrics import run_totals
from harness.runlog.record import LogVersion
from harness.runner.plan import Unit
from harness.runner.recorder import attempt_entry
from reports import build_report


def outcome(lm_tokens: int) -> AttackOutcome:
    return AttackOutcome(
        attack="lm-guided", family="lm-guided", prompt="Tell me a joke.", reference="A joke.",
        reference_score=0.5, seed=3, budget=10, queries=10, evaluated=9, lm_tokens=lm_tokens,
    )  # fmt: skip


def test_the_attempt_entry_carries_the_outcomes_lm_tokens_and_totals_add_them():
    entries = [
        attempt_entry(Unit(0, "lm", 0, i, 3), outcome(tokens), "lm-guided")
        for i, tokens in enumerate((40, 2))
    ]
    assert [e.lm_tokens for e in entries] == [40, 2]
    assert AttemptEntry.from_json(json.loads(json.dumps(entries[0].to_json()))).lm_tokens == 40
    totals = run_totals(entries)
    assert (totals.queries, totals.lm_tokens) == (20, 42)
    assert totals.completion(units=2, wall_seconds=1.0, session_seconds=1.0).lm_tokens == 42


def test_an_attempt_line_of_an_older_log_reads_no_lm_tokens():
    line = attempt_entry(Unit(0, "rep", 0, 0, 3), outcome(0), "repetition").to_json()
    del line["lm_tokens"]
    assert AttemptEntry.from_json(line, LogVersion(3, 0)).lm_tokens == 0


def test_summary_json_shows_queries_and_lm_tokens_per_family(tiny_run, tmp_path):
    result = build_report(tiny_run, policy=GatePolicy(), out=tmp_path)
    summary = json.loads(result.paths["summary"].read_text())
    attempts = [
        json.loads(line)
        for line in (tiny_run / LOG_NAME).read_text().splitlines()
        if json.loads(line)["type"] == "attempt" and json.loads(line)["attack"] != "instability"
    ]
    for family in summary["families"]:
        mine = [a for a in attempts if a["family"] == family["family"]]
        assert family["queries"] == sum(a["queries"] for a in mine) > 0
        assert family["lm_tokens"] == 0  # none of the tiny run's attacks has an LM
