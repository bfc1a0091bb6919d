"""A judge measured on labelled rows: recall, false positives and precision, with intervals.

``validate_judges`` runs judges on labelled rows (``harness.judges.labelled``) and
``measure`` turns one judge's verdicts into typed rates, per kind and over all rows:

- **recall** on a kind: of its bad rows (label 1), the share the judge flags; on *all
  bad*, the share of every bad row;
- **false-positive rate**: of the good rows (label 0), the share the judge flags;
- **precision** over all rows: TP / (TP + FP), every flagged row that is bad over every
  flagged row; **per kind**: TP_kind / (TP_kind + FP), the kind's flagged bad rows over
  those plus the false positives on *every* good row. So per-kind precision is what the
  precision would be if the bad rows were of that kind only, at the set's proportion of
  bad to good rows of that kind (1:1 in the bundled set, one bad row of each kind per good
  row); it depends on that proportion, which recall and the false-positive rate do not.

Every rate has a Wilson 95% interval (``statsmodels`` ``proportion_confint``); for
precision it treats the flagged rows as the trials, which ignores that their number is
itself random (a common approximation: read it as a guide). A rate with no trials is
``None`` (no bad rows of a kind, nothing flagged).

**Undecided** judgements (``Judgement.bad is None``, e.g. the review queue's unlabelled
rows) are counted apart in ``undecided``, and in the rates they count as not flagged:
a finding needs a judge to say bad (``combine``), so an undecided bad row is a miss and an
undecided good row is no false positive, exactly as in a run.

The judges **combined** are measured too, as the finding rule combines them: a row is
flagged when any judge says bad (``COMBINED``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.judges.base import Judge
from harness.judges.labelled import LabelledRow

#: The name of the judges-combined row: flagged when any judge says bad (the finding rule).
COMBINED = "any judge"
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Rate:
    """``hits`` of ``trials``, with its Wilson 95% interval; ``value`` is None without trials."""

    hits: int
    trials: int
    value: float | None
    low: float | None
    high: float | None

    @classmethod
    def of(cls, hits: int, trials: int) -> Rate:
        if trials == 0:
            return cls(hits, 0, None, None, None)
        from statsmodels.stats.proportion import proportion_confint

        low, high = proportion_confint(hits, trials, alpha=1 - CONFIDENCE, method="wilson")
        return cls(hits, trials, hits / trials, float(low), float(high))

    def to_json(self) -> dict[str, Any]:
        return {
            "hits": self.hits,
            "trials": self.trials,
            "value": self.value,
            "low": self.low,
            "high": self.high,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Rate:
        return cls(data["hits"], data["trials"], data["value"], data["low"], data["high"])

    def __str__(self) -> str:
        if self.value is None:
            return "-"
        return f"{self.value:.1%} [{self.low:.1%}, {self.high:.1%}] ({self.hits}/{self.trials})"


def _rate_json(rate: Rate | None) -> dict[str, Any] | None:
    return None if rate is None else rate.to_json()


def _rate_of(data: Mapping[str, Any] | None) -> Rate | None:
    return None if data is None else Rate.from_json(data)


@dataclass(frozen=True)
class KindMeasure:
    """One judge on the rows of one kind; a rate is None when the kind has no such rows."""

    kind: str
    rows: int
    bad_rows: int
    flagged: int
    undecided: int
    recall: Rate | None  # flagged bad rows of the kind / bad rows of the kind
    false_positive_rate: Rate | None  # flagged good rows of the kind / good rows of the kind
    precision: Rate | None  # TP_kind / (TP_kind + FP on every good row)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rows": self.rows,
            "bad_rows": self.bad_rows,
            "flagged": self.flagged,
            "undecided": self.undecided,
            "recall": _rate_json(self.recall),
            "false_positive_rate": _rate_json(self.false_positive_rate),
            "precision": _rate_json(self.precision),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> KindMeasure:
        return cls(
            kind=data["kind"],
            rows=data["rows"],
            bad_rows=data["bad_rows"],
            flagged=data["flagged"],
            undecided=data["undecided"],
            recall=_rate_of(data.get("recall")),
            false_positive_rate=_rate_of(data.get("false_positive_rate")),
            precision=_rate_of(data.get("precision")),
        )


@dataclass(frozen=True)
class JudgeMeasure:
    """One judge (or the judges combined) on every row: the totals and each kind."""

    judge: str
    rows: int
    flagged: int
    undecided: int
    recall: Rate | None  # on all bad rows
    false_positive_rate: Rate | None  # on the good rows
    precision: Rate | None
    kinds: tuple[KindMeasure, ...]
    params: Mapping[str, Any] | None = None  # the judge's parameters as validated
    seconds: float | None = None

    def kind(self, name: str) -> KindMeasure:
        """The measure on one kind (``KeyError`` if the rows have none of it)."""
        for measure in self.kinds:
            if measure.kind == name:
                return measure
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        return {
            "judge": self.judge,
            "params": None if self.params is None else dict(self.params),
            "rows": self.rows,
            "flagged": self.flagged,
            "undecided": self.undecided,
            "recall": _rate_json(self.recall),
            "false_positive_rate": _rate_json(self.false_positive_rate),
            "precision": _rate_json(self.precision),
            "seconds": self.seconds,
            "kinds": [k.to_json() for k in self.kinds],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JudgeMeasure:
        return cls(
            judge=data["judge"],
            rows=data["rows"],
            flagged=data["flagged"],
            undecided=data["undecided"],
            recall=_rate_of(data.get("recall")),
            false_positive_rate=_rate_of(data.get("false_positive_rate")),
            precision=_rate_of(data.get("precision")),
            kinds=tuple(KindMeasure.from_json(k) for k in data.get("kinds", ())),
            params=data.get("params"),
            seconds=data.get("seconds"),
        )

    def __repr__(self) -> str:
        return (
            f"JudgeMeasure(judge={self.judge!r}, rows={self.rows}, recall={self.recall}, "
            f"false_positive_rate={self.false_positive_rate})"
        )


def measure(
    judge: str,
    rows: Sequence[LabelledRow],
    verdicts: Sequence[bool | None],
    *,
    params: Mapping[str, Any] | None = None,
    seconds: float | None = None,
) -> JudgeMeasure:
    """The rates of one judge's ``verdicts`` (one per row, in order) on ``rows``."""
    if len(rows) != len(verdicts):
        raise ValueError(f"{len(verdicts)} verdicts for {len(rows)} rows")
    flagged = [v is True for v in verdicts]
    good = [i for i, row in enumerate(rows) if not row.bad]
    bad = [i for i, row in enumerate(rows) if row.bad]
    false_positives = sum(flagged[i] for i in good)
    true_positives = sum(flagged[i] for i in bad)
    kinds = []
    for kind in dict.fromkeys(row.kind for row in rows):
        members = [i for i, row in enumerate(rows) if row.kind == kind]
        kind_bad = [i for i in members if rows[i].bad]
        kind_good = [i for i in members if not rows[i].bad]
        kind_tp = sum(flagged[i] for i in kind_bad)
        kinds.append(
            KindMeasure(
                kind=kind,
                rows=len(members),
                bad_rows=len(kind_bad),
                flagged=sum(flagged[i] for i in members),
                undecided=sum(verdicts[i] is None for i in members),
                recall=Rate.of(kind_tp, len(kind_bad)) if kind_bad else None,
                false_positive_rate=(
                    Rate.of(sum(flagged[i] for i in kind_good), len(kind_good))
                    if kind_good
                    else None
                ),
                precision=Rate.of(kind_tp, kind_tp + false_positives) if kind_bad else None,
            )
        )
    return JudgeMeasure(
        judge=judge,
        rows=len(rows),
        flagged=sum(flagged),
        undecided=sum(v is None for v in verdicts),
        recall=Rate.of(true_positives, len(bad)) if bad else None,
        false_positive_rate=Rate.of(false_positives, len(good)) if good else None,
        precision=Rate.of(true_positives, true_positives + false_positives),
        kinds=tuple(kinds),
        params=params,
        seconds=seconds,
    )


def judge_rows(judge: Judge, rows: Sequence[LabelledRow]) -> list[bool | None]:
    """The judge's verdict on every row, asked once per (prompt, reference) with all of
    that pair's texts (as an attack asks it: one prompt, one reference, many candidates)."""
    groups: dict[tuple[str, str], list[int]] = {}
    for index, row in enumerate(rows):
        groups.setdefault((row.prompt, row.reference), []).append(index)
    for scorer in judge.rm_scorers():
        # One batched pass over every text and reference (bucketed by length, padded
        # dynamically): the judge's per-prompt calls below then read the scorer's cache,
        # instead of a forward pass of a few texts per prompt.
        scorer.score(
            [row.prompt for row in rows] + [prompt for prompt, _ in groups],
            [row.text for row in rows] + [reference for _, reference in groups],
        )
    verdicts: list[bool | None] = [None] * len(rows)
    for (prompt, reference), members in groups.items():
        judgements = judge.judge(prompt, reference, [rows[i].text for i in members])
        for index, judgement in zip(members, judgements, strict=True):
            verdicts[index] = judgement.bad
    return verdicts


def combined_verdicts(per_judge: Sequence[Sequence[bool | None]]) -> list[bool | None]:
    """The finding rule's verdict per row: bad when any judge says bad, else not flagged
    (undecided when no judge decided either way)."""
    combined: list[bool | None] = []
    for row_verdicts in zip(*per_judge, strict=True):
        if any(v is True for v in row_verdicts):
            combined.append(True)
        elif any(v is False for v in row_verdicts):
            combined.append(False)
        else:
            combined.append(None)
    return combined


def validate_judges(
    judges: Sequence[tuple[Judge, Mapping[str, Any]]], rows: Sequence[LabelledRow]
) -> tuple[JudgeMeasure, ...]:
    """Each judge (with the parameters it was built with) measured on ``rows``, then the
    judges combined (``COMBINED``) when there are several."""
    measures, per_judge = [], []
    for judge, params in judges:
        started = time.perf_counter()
        verdicts = judge_rows(judge, rows)
        seconds = round(time.perf_counter() - started, 3)
        per_judge.append(verdicts)
        measures.append(measure(judge.name, rows, verdicts, params=params, seconds=seconds))
    if len(per_judge) > 1:
        measures.append(measure(COMBINED, rows, combined_verdicts(per_judge)))
    return tuple(measures)
