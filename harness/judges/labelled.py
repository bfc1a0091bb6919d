"""Labelled judge data: (prompt, reference, text, label, kind) rows that say what is bad.

A judge is a measuring instrument, so it is measured on texts whose answer is known
(``harness.judges.validation``). The project bundles one such set, built from the demo's
held-out jokes (``harness.judges.labelled_build``); a team's own labels, and the review
queue's human labels (``ReviewQueue.labelled_rows``), are read and written the same way.

One row per line, every field present::

    {"prompt": "Tell me a joke about Linux.", "reference": "<a real joke>",
     "text": "<the judged text>", "label": 1, "kind": "shuffled"}

``label`` is 1 when the text is bad as an answer to the prompt and 0 when it is good;
``reference`` is what the judges compare the text with (a judge reads the prompt's
reference as a finding's reference). ``kind`` names how the row was made (``good``,
``soup``, ...); a user's file may leave it out, and then every row is of kind ``all``.
A row that breaks these rules is a one-line ``DataError`` with the file and line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from harness.core.data import read_json_lines, string_field
from harness.core.errors import DataError

#: The kind of every row of a file whose rows name none.
ALL_KIND = "all"
FIELDS = ("prompt", "reference", "text", "label", "kind")


@dataclass(frozen=True)
class LabelledRow:
    """One labelled text: ``label`` 1 is bad, 0 is good; ``kind`` says how it was made."""

    prompt: str
    reference: str
    text: str
    label: int
    kind: str = ALL_KIND

    def __post_init__(self) -> None:
        if self.label not in (0, 1) or isinstance(self.label, bool):
            raise ValueError(f"label must be 0 (good) or 1 (bad), got {self.label!r}")

    @property
    def bad(self) -> bool:
        return self.label == 1

    def to_json(self) -> dict[str, object]:
        return {
            "prompt": self.prompt,
            "reference": self.reference,
            "text": self.text,
            "label": self.label,
            "kind": self.kind,
        }


def read_labelled(path: str | Path) -> list[LabelledRow]:
    """Every row of a labelled JSONL file, checked; a bad row is one ``DataError`` line."""
    path = Path(path)
    rows = []
    for number, row in read_json_lines(path):
        label = row.get("label")
        if "label" not in row:
            raise DataError(
                f"{path}:{number}: missing field 'label' (fields: {', '.join(row) or 'none'})"
            )
        if isinstance(label, bool) or label not in (0, 1):
            raise DataError(f"{path}:{number}: label must be 0 (good) or 1 (bad), got {label!r}")
        kind = string_field(path, number, row, "kind") if "kind" in row else ALL_KIND
        if not kind:
            raise DataError(f"{path}:{number}: field 'kind' is empty; name a kind or omit it")
        rows.append(
            LabelledRow(
                prompt=string_field(path, number, row, "prompt"),
                reference=string_field(path, number, row, "reference"),
                text=string_field(path, number, row, "text"),
                label=int(label),
                kind=kind,
            )
        )
    return rows


def labelled_jsonl(rows: Iterable[LabelledRow]) -> str:
    """The rows as JSONL text, one line each, fields in ``FIELDS`` order (byte-stable)."""
    return "".join(json.dumps(row.to_json(), ensure_ascii=False) + "\n" for row in rows)


def write_labelled(rows: Iterable[LabelledRow], path: str | Path) -> int:
    """Write the rows as labelled JSONL (UTF-8, ``\\n`` line ends); returns how many."""
    rows = list(rows)
    Path(path).write_text(labelled_jsonl(rows), encoding="utf-8", newline="\n")
    return len(rows)
