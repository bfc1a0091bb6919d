"""``findings.csv``: every finding of the run, one row per ``finding`` line of its log,
for a spreadsheet, pandas or a triage sheet.

Finding text is attacker-controlled, and a spreadsheet runs a cell starting with
``= + - @`` (or tab / CR) as a formula, so the table goes through
``harness.core.tabular.neutralize_formulas``: such string cells get a leading apostrophe.
Numeric columns are coerced to numbers first, so ``-0.5`` stays a score (never a formula
and never text) and a value that is not a number is an empty cell. Text cells are
otherwise the log's values whole (not shortened or made visible as in ``report.html``),
in log order, so rows can be joined to the findings store by ``finding_id``.
"""

from __future__ import annotations

import pandas as pd

from harness.core.finding import FLUENCY
from harness.core.tabular import neutralize_formulas
from harness.runlog import FindingEntry, LogContents
from reports.context import ReportContext
from reports.renderer import Renderer, register

#: Column, and the ``finding`` log field it comes from.
COLUMNS: dict[str, str] = {
    "checkpoint": "checkpoint",
    "fingerprint": "fingerprint",
    "finding_id": "finding_id",
    "family": "family",
    "attack": "attack",
    "attack_id": "attack_id",
    "prompt": "prompt",
    "reference": "reference",
    "text": "text",
    "score": "score",
    "reference_score": "reference_score",
    "margin": "margin",
    "reasons": "reasons",
    "fluency": "fluency",  # the fluency judge's measure, from ``measures``
    "seed": "seed",
    "queries_at_find": "queries_at_find",
    "seeded": "seeded",
    "first_seen": "time",  # when this run first found it (the log writes a finding once)
}
INTEGERS = ("checkpoint", "finding_id", "seed", "queries_at_find")
FLOATS = ("score", "reference_score", "margin", "fluency")
FLAGS = ("seeded",)
REASON_SEPARATOR = "\n"  # one judge's reason per line of the cell


def findings_table(log: LogContents) -> pd.DataFrame:
    """The run's findings as raw values: numbers as numbers, reasons joined into one cell."""
    rows = []
    for entry in log.of_type(FindingEntry):
        # Through the JSON form: a log line's types are not checked on reading, so a value
        # may be anything JSON holds; the coercions below decide what each cell can be.
        data = entry.to_json()
        measures = data.get("measures")
        data["fluency"] = measures.get(FLUENCY) if isinstance(measures, dict) else None
        row = {column: data.get(field) for column, field in COLUMNS.items()}
        reasons = row["reasons"]
        if isinstance(reasons, (list, tuple)):
            row["reasons"] = REASON_SEPARATOR.join(str(reason) for reason in reasons)
        for column in INTEGERS:
            row[column] = _whole(row[column])
        for column in FLOATS:
            row[column] = _real(row[column])
        if row["score"] is None or row["reference_score"] is None:
            row["margin"] = None  # derived from them: no better than they are
        for column in COLUMNS.keys() - {*INTEGERS, *FLOATS, *FLAGS}:
            row[column] = _text(row[column])
        rows.append(row)
    # Nullable integers print as ``3``, not ``3.0``, and beside a gap stay exact.
    dtypes = {**dict.fromkeys(FLOATS, "float64"), **dict.fromkeys(INTEGERS, "Int64")}
    return pd.DataFrame(rows, columns=list(COLUMNS), dtype=object).astype(dtypes)


def _whole(value: object) -> int | None:
    """A whole number that fits 64 bits as an ``int``; anything else is an empty cell."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if -(2**63) <= value < 2**63 else None


def _real(value: object) -> float | None:
    """A number as a ``float``; text (even ``"-2+3"``) is an empty cell, never a formula."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _text(value: object) -> str | None:
    """Every text cell a ``str``, so formula neutralization (strings only) sees it."""
    return value if value is None or isinstance(value, str) else str(value)


@register
class FindingsCsv(Renderer):
    """Every finding of the run as a formula-safe CSV table, one row per finding."""

    name = "findings"
    filename = "findings.csv"

    def render(self, ctx: ReportContext) -> str:
        table = neutralize_formulas(findings_table(ctx.log))
        return table.to_csv(index=False, lineterminator="\n")
