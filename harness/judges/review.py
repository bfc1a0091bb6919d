"""The human review queue: undecided candidates go out to reviewers, labels come back."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from harness.core.data import read_json_lines
from harness.core.errors import DataError
from harness.core.tabular import FORMULA_PREFIXES, neutralize_cell
from harness.judges.base import Judge, Judgement, ModelLoader, register
from harness.judges.labelled import LabelledRow


@register
@dataclass
class ReviewQueue(Judge):
    """Human labels: undecided candidates go out to a file, labels come back in.

    ``judge`` answers from labels already imported (``None`` for the rest, which are
    queued). ``export`` writes the queue as CSV or JSONL with an empty ``label`` column;
    reviewers fill it with ``bad`` or ``ok``; ``import_labels`` reads it back, and
    ``labelled_rows`` turns the labels into judge-validation rows (``rmh judges review
    export``), so a team's reviewed findings measure its judges.
    """

    labels: dict[tuple[str, str], bool] = field(default_factory=dict)
    pending: dict[tuple[str, str], str] = field(default_factory=dict)
    #: The reference each labelled (prompt, candidate) was reviewed against.
    references: dict[tuple[str, str], str] = field(default_factory=dict)
    name: ClassVar[str] = "human"

    @dataclass(frozen=True)
    class Params:
        labels: str = ""  # a reviewed CSV or JSONL file to answer from

    @classmethod
    def create(cls, params: Params, load: ModelLoader) -> ReviewQueue:
        queue = cls()
        if params.labels:
            queue.import_labels(params.labels)
        return queue

    def judge(self, prompt: str, reference: str, candidates: Sequence[str]) -> list[Judgement]:
        judgements = []
        for text in candidates:
            key = (prompt, text)
            if key in self.labels:
                bad = self.labels[key]
                judgements.append(
                    Judgement(self.name, bad, ("labelled bad" if bad else "labelled ok",))
                )
            else:
                self.pending[key] = reference
                judgements.append(Judgement(self.name, None, ("awaiting human review",)))
        return judgements

    def export(self, path: str | Path) -> int:
        path = Path(path)
        rows = [
            {"prompt": p, "reference": ref, "candidate": c, "label": ""}
            for (p, c), ref in self.pending.items()
        ]
        if path.suffix == ".csv":
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(
                    handle, fieldnames=["prompt", "reference", "candidate", "label"]
                )
                writer.writeheader()
                for row in rows:
                    writer.writerow({k: neutralize_cell(v) for k, v in row.items()})
        else:
            with path.open("w", encoding="utf-8") as handle:
                for row in rows:
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        return len(rows)

    def import_labels(self, path: str | Path) -> int:
        path = Path(path)
        rows = _read_rows(path)
        count = 0
        for number, row in enumerate(rows, start=1):
            label = row.get("label")
            label = (label if isinstance(label, str) else "").strip().lower()
            if not label:
                continue
            if label not in ("bad", "ok"):
                raise DataError(f"{path}: row {number}: label must be 'bad' or 'ok', got {label!r}")
            if not all(isinstance(row.get(k), str) for k in ("prompt", "candidate")):
                raise DataError(
                    f"{path}: row {number}: a labelled row needs text in 'prompt' "
                    "and 'candidate' (the columns ReviewQueue.export writes)"
                )
            key = (row["prompt"], row["candidate"])
            self.labels[key] = label == "bad"
            if row.get("reference") is not None:
                self.references[key] = row["reference"]
            self.pending.pop(key, None)
            count += 1
        return count

    def labelled_rows(self, kind: str = "reviewed") -> list[LabelledRow]:
        """Every human label as a labelled row (bad is 1, ok is 0) of ``kind``.

        A label whose reference is unknown (a reviewed file without a ``reference``
        column) cannot be a row: a judge needs the reference; that is a ``DataError``.
        """
        missing = [key for key in self.labels if key not in self.references]
        if missing:
            prompt, candidate = missing[0]
            raise DataError(
                f"{len(missing)} reviewed labels have no reference (first: prompt "
                f"{prompt[:60]!r}, candidate {candidate[:60]!r}); review a file that "
                "ReviewQueue.export wrote (it has a reference column)"
            )
        return [
            LabelledRow(prompt, self.references[(prompt, text)], text, int(bad), kind)
            for (prompt, text), bad in self.labels.items()
        ]


def _unneutralize(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def _read_rows(path: Path) -> list[dict]:
    """The rows of a reviewed CSV or JSONL file; a file that is not one is a ``DataError``.

    JSONL goes through the project's one reader (``read_json_lines``: one line naming the
    file and line for malformed JSON, a row that is not an object, UTF-16, a directory). A
    file with no rows is an empty review (what exporting an empty queue writes), not an error.
    """
    try:
        if path.suffix == ".csv":
            with path.open(encoding="utf-8", newline="") as handle:
                rows = list(csv.DictReader(handle))
            return [{k: _unneutralize(v) for k, v in row.items()} for row in rows]
        if path.is_file() and not path.read_bytes().strip():
            return []
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise DataError(f"{path} is not UTF-8 text") from None
    return [row for _, row in read_json_lines(path)]
