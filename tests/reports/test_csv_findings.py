"""``findings.csv``: one row per logged finding, numbers as numbers, no cell a formula."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from harness.core.tabular import FORMULA_PREFIXES
from harness.gate import GatePolicy
from harness.runlog import FindingEntry, LogContents
from harness.runlog.metrics import load_run_log
from harness.testing import HOSTILE_TEXTS
from reports import build_report
from reports.csv_findings import COLUMNS, FLOATS, INTEGERS, findings_table


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _findings_csv(folder: Path, out: Path) -> tuple[list[str], list[dict[str, str]]]:
    result = build_report(folder, policy=GatePolicy(), out=out)
    assert result.paths["findings"] == out / "findings.csv"
    return _read(result.paths["findings"])


def test_one_row_per_finding_line_in_log_order(tiny_run, tmp_path):
    header, rows = _findings_csv(tiny_run, tmp_path)
    findings = load_run_log(tiny_run).of_type(FindingEntry)
    assert findings, "the tiny run should find something"
    assert header == list(COLUMNS)
    assert [int(r["finding_id"]) for r in rows] == [f.finding_id for f in findings]
    first, entry = rows[0], findings[0]
    assert (first["family"], first["attack"]) == (entry.family, entry.attack)
    assert (first["prompt"], first["text"]) == (entry.prompt, entry.text)
    assert first["first_seen"] == entry.time
    assert first["reasons"].split("\n") == list(entry.reasons)
    assert float(first["margin"]) == entry.margin  # written in full precision


def test_hostile_payloads_are_neutralized_not_dropped(hostile_run, tmp_path):
    _header, rows = _findings_csv(hostile_run, tmp_path)
    for row in rows:
        for column, cell in row.items():
            if column in FLOATS or column in INTEGERS:
                float(cell or "nan")  # a number (maybe negative) or empty, never text
            else:
                assert not cell.startswith(FORMULA_PREFIXES), (column, cell)
    texts = {row["text"] for row in rows}
    prompts = {row["prompt"] for row in rows}
    formulas = [p for p in HOSTILE_TEXTS if p.startswith(FORMULA_PREFIXES)]
    assert formulas
    for payload in HOSTILE_TEXTS:
        shown = "'" + payload if payload in formulas else payload
        assert shown in texts and shown in prompts, payload
    reasons = next(row["reasons"] for row in rows if row["text"] == "'" + formulas[0])
    for payload in HOSTILE_TEXTS:  # inside a cell, only its start could make a formula
        assert f"heuristic: {payload}" in reasons


def test_numbers_stay_numbers(rewrite_log, copy_run, tmp_path):
    folder = copy_run("negative")
    first = True

    def negative_scores(entry):
        nonlocal first
        if entry["type"] == "finding" and first:
            first = False
            return entry | {"score": -0.5, "reference_score": -2.25, "text": "-1"}
        return entry

    rewrite_log(folder, negative_scores)
    _header, rows = _findings_csv(folder, tmp_path)
    row = rows[0]
    assert (row["score"], row["reference_score"]) == ("-0.5", "-2.25")
    assert row["text"] == "'-1"  # a number-looking finding text is still text
    assert row["checkpoint"] == "0" and row["finding_id"].isdigit()
    assert row["seeded"] in ("True", "False")


def test_run_without_findings_writes_the_header(rewrite_log, copy_run, tmp_path):
    folder = copy_run("clean")
    rewrite_log(folder, lambda entry: None if entry["type"] == "finding" else entry)
    header, rows = _findings_csv(folder, tmp_path)
    assert header == list(COLUMNS) and rows == []


def test_numeric_columns_hold_only_numbers(hostile_run):
    # A log line's JSON types are not checked on reading: odd values reach the table.
    line = load_run_log(hostile_run).of_type(FindingEntry)[0].to_json()
    line |= {"finding_id": 2**62 + 1, "queries_at_find": 3.0, "margin": "-2+3", "score": True}
    line |= {"seed": 2**64, "text": -1, "reasons": ["=a", "b"]}
    table = findings_table(LogContents([FindingEntry.from_json(line)]))
    row = table.iloc[0]
    assert (row["finding_id"], row["queries_at_find"]) == (2**62 + 1, 3)  # exact, not floats
    assert pd.isna(row["margin"]) and pd.isna(row["score"]) and pd.isna(row["seed"])
    assert row["text"] == "-1" and row["reasons"] == "=a\nb"  # text, left to the formula guard


def test_fluency_is_shown_where_measured_and_blank_where_not(rewrite_log, copy_run, tmp_path):
    """A finding's fluency (the fluency judge's measure) is a number in findings.csv and
    in the report's finding tables; where no fluency judge ran, the cell is empty."""
    _header, plain = _findings_csv(copy_run("unmeasured"), tmp_path / "plain")
    assert plain and {row["fluency"] for row in plain} == {""}
    folder = copy_run("measured")

    def measured(entry):
        if entry["type"] != "finding":
            return entry
        return entry | {"measures": {"fluency": 0.75, "gold-rm": -1.0}}

    rewrite_log(folder, measured)
    _header, rows = _findings_csv(folder, tmp_path / "measured")
    assert {row["fluency"] for row in rows} == {"0.75"}
    assert "| +0.75 |" in (tmp_path / "measured" / "report.md").read_text(encoding="utf-8")
    html = (tmp_path / "measured" / "report.html").read_text(encoding="utf-8")
    assert '<td class="num">+0.75</td>' in html and ">fluency</th>" in html
