"""The judges' measured rates on labelled rows, as a table (terminal, Markdown, HTML).

One table for every place that shows them: ``rmh judges validate`` (terminal and its
``--out`` report) and a run report's judges section (the rates the run measured when it
started, from its log). Rows are judge x kind: ``all bad`` (recall over every bad row and
overall precision) and ``good`` (the false-positive rate) first, then each bad kind.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from harness.judges.validation import JudgeMeasure, Rate

LEGEND = (
    "recall: flagged share of the kind's bad rows; false positives: flagged share of the "
    "good rows; precision: TP / (TP + FP), per kind TP_kind / (TP_kind + FP on every good "
    "row), so it depends on the set's 1:1 proportion of good rows to each bad kind. "
    "Brackets: Wilson 95% intervals. Undecided judgements are counted apart and in the "
    "rates as not flagged, as the finding rule counts them. 'any judge': flagged when any "
    "judge says bad (the finding rule)."
)
COLUMNS = ["judge", "kind", "rows", "flagged", "undecided", "recall", "false positives"]
COLUMNS += ["precision"]


def rate_text(rate: Rate | None) -> str:
    """``93.2% [89.1%, 95.8%] (165/177)``; ``-`` where there is nothing to rate."""
    return "-" if rate is None else str(rate)


def validation_table(measures: Sequence[JudgeMeasure]) -> pd.DataFrame:
    """Judge x kind with every rate as text (value, interval, counts)."""
    rows = []
    for m in measures:
        bad_rows = sum(k.bad_rows for k in m.kinds)
        rows.append(
            {
                "judge": m.judge,
                "kind": "all bad" if bad_rows < m.rows else "all",
                "rows": bad_rows,
                "flagged": m.recall.hits if m.recall else 0,
                "undecided": sum(k.undecided for k in m.kinds if k.bad_rows),
                "recall": rate_text(m.recall),
                "false positives": "-",
                "precision": rate_text(m.precision),
            }
        )
        for k in m.kinds:
            rows.append(
                {
                    "judge": m.judge,
                    "kind": k.kind,
                    "rows": k.rows,
                    "flagged": k.flagged,
                    "undecided": k.undecided,
                    "recall": rate_text(k.recall),
                    "false positives": rate_text(k.false_positive_rate),
                    "precision": rate_text(k.precision),
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def validation_markdown(measures: Sequence[JudgeMeasure], *, heading: str = "##") -> str:
    """A Markdown section: the table and its legend."""
    from reports.markdown import escape_md

    frame = validation_table(measures)
    lines = [f"{heading} Judges measured on labelled rows", "", LEGEND, ""]
    lines.append("| " + " | ".join(frame.columns) + " |")
    lines.append("|" + "---|" * len(frame.columns))
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(escape_md(v, 300) for v in row) + " |")
    return "\n".join(lines) + "\n"
