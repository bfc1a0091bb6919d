"""Judges measured on labelled rows: the bundled set, the judges to measure, the result.

``rmh judges validate`` and a run's judge validation (``[validation]`` in a suite: the
``validation`` log entry, written once after ``init``) both read the bundled
labelled set here (it lives with the demo data, which only this layer and above may
import) and measure judges with ``harness.judges.validation``.

Judges with a ``"calibrate"`` parameter (the gold RM's margin) are calibrated on the
demo's *train* split's clean pairs (``rmh judges validate``: a seeded sample of 252 of
them, as many pairs as a builtin suite calibrates on), never on the labelled rows:
a margin fitted on the rows it is measured on would flatter it. A run's judges are the
run's own, calibrated as the run calibrated them (on its suite's pairs, from
meaning-preserving edits of the references: no label is read).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.core.data import PreferencePair
from harness.core.errors import HarnessError
from harness.judges import (
    JUDGES,
    Judge,
    JudgeSpec,
    build_judges,
    calibrate_judges,
    check_spec,
    needs_calibration,
    resolve_checkpoints,
)
from harness.judges.labelled import LabelledRow, read_labelled
from harness.judges.validation import JudgeMeasure, validate_judges
from harness.models import LoadOptions, load_reward_model
from harness.runlog import JudgesValidationEntry
from harness.scoring import Scorer

#: What ``rmh judges validate`` measures when no ``--judge`` is given.
DEFAULT_JUDGES = (
    JudgeSpec("heuristic"),
    JudgeSpec("gold-rm", {"checkpoint": "gold-demo", "margin": "calibrate"}),
    JudgeSpec("fluency"),
)
#: Judges too slow to measure on every row at every run start (a causal LM per text):
#: a suite's ``[validation]`` leaves them out unless it lists them in ``include_slow``.
SLOW_JUDGES = frozenset({"fluency"})
#: The review queue's registry name: human labels, never measured as a judge.
REVIEW_JUDGE = "human"


def bundled_path() -> Path:
    from harness.demo.labelled import labelled_path

    return labelled_path()


def bundled_rows() -> list[LabelledRow]:
    """The bundled labelled set (``harness.judges.labelled_build``, held-out jokes)."""
    return read_labelled(bundled_path())


#: Train pairs a validation calibrates on: as many as the held-out split has (what a
#: builtin suite calibrates on), so calibrating costs what it costs in a run.
CALIBRATION_PAIRS = 252


def train_pairs(count: int = CALIBRATION_PAIRS, seed: int = 0) -> list[PreferencePair]:
    """A seeded sample of ``count`` pairs of the demo's train split (in file order): what
    ``rmh judges validate`` calibrates judges on by default."""
    import random

    from harness.demo.build import train_pairs as demo_train_pairs

    pairs = demo_train_pairs()
    if count >= len(pairs):
        return pairs
    keep = set(random.Random(seed).sample(range(len(pairs)), count))
    return [pair for index, pair in enumerate(pairs) if index in keep]


@dataclass(frozen=True)
class Skipped:
    """A judge left out of a validation, and why (one line)."""

    judge: str
    reason: str


def _scorer_loader(options: LoadOptions, batch_size: int) -> Callable[[str], Scorer]:
    scorers: dict[str, Scorer] = {}

    def load(spec: str) -> Scorer:
        if spec not in scorers:
            scorers[spec] = Scorer(load_reward_model(spec, options), batch_size=batch_size)
        return scorers[spec]

    return load


def prepare_judges(
    specs: Sequence[JudgeSpec],
    *,
    calibration: Callable[[], list[PreferencePair]] = train_pairs,
    optional: frozenset[str] = frozenset(),
    options: LoadOptions | None = None,
    batch_size: int = 64,
    echo: Callable[[str], None] = print,
) -> tuple[list[tuple[Judge, JudgeSpec]], list[Skipped]]:
    """Build and calibrate each judge of ``specs``, with the spec it ends up with.

    A judge named in ``optional`` that is not registered, or fails to build or calibrate
    with a ``HarnessError`` (its model not installed), is skipped and reported; any other
    judge's failure is the caller's error.
    """
    from harness.runner.init import checkpoint_spec

    load = _scorer_loader(options or LoadOptions(), batch_size)
    ready, skipped = [], []
    pairs: list[PreferencePair] | None = None
    for spec in specs:
        if spec.name in optional and spec.name not in JUDGES.names():
            skipped.append(Skipped(spec.name, f"judge {spec.name!r} is not registered"))
            continue
        try:
            resolved = resolve_checkpoints(spec, checkpoint_spec)
            (judge,) = build_judges([resolved], load)
            if needs_calibration(resolved):
                if pairs is None:
                    pairs = calibration()
                echo(f"calibrating judge {spec.name} on {len(pairs)} clean pairs ...")
                (resolved,) = calibrate_judges([resolved], [judge], pairs)
        except HarnessError as exc:
            if spec.name not in optional:
                raise
            skipped.append(Skipped(spec.name, str(exc).splitlines()[0]))
            continue
        ready.append((judge, resolved))
    return ready, skipped


def measure_judges(
    judges: Sequence[tuple[Judge, JudgeSpec]], rows: Sequence[LabelledRow]
) -> tuple[JudgeMeasure, ...]:
    """Each judge (and, with several, the judges combined) measured on ``rows``."""
    return validate_judges([(judge, effective_params(spec)) for judge, spec in judges], rows)


def kind_counts(rows: Sequence[LabelledRow]) -> dict[str, dict[str, int]]:
    """Per kind: its rows and how many of them are bad (what a summary states)."""
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        entry = counts.setdefault(row.kind, {"rows": 0, "bad": 0})
        entry["rows"] += 1
        entry["bad"] += row.label
    return counts


def validation_summary(
    measures: Sequence[JudgeMeasure],
    rows: Sequence[LabelledRow],
    *,
    data: str,
    calibration: str,
    skipped: Sequence[Skipped] = (),
) -> dict[str, Any]:
    """``summary.json`` of ``rmh judges validate`` (``kind``: ``judges-validation``)."""
    return {
        "schema_version": 1,
        "kind": "judges-validation",
        "data": data,
        "rows": len(rows),
        "kinds": kind_counts(rows),
        "calibration": calibration,
        "undecided": "counted apart; in the rates as not flagged (the finding rule)",
        "judges": [m.to_json() for m in measures],
        "skipped": [{"judge": s.judge, "reason": s.reason} for s in skipped],
    }


def sample_pairs(rows: Sequence[LabelledRow], pairs: int, seed: int) -> list[LabelledRow]:
    """The rows of ``pairs`` (prompt, joke) groups of the bundled set drawn with ``seed``,
    in file order. The builder writes each group's rows together, its ``good`` row first,
    so a ``good`` row starts a group: all of a group is kept, or none of it."""
    import random

    group_of, groups = [], -1
    for row in rows:
        groups += row.kind == "good"
        group_of.append(max(groups, 0))
    if pairs > groups:
        return list(rows)
    keep = set(random.Random(seed).sample(range(groups + 1), pairs))
    return [row for row, group in zip(rows, group_of, strict=True) if group in keep]


def run_validation_entry(
    judges: Sequence[tuple[Judge, JudgeSpec]],
    *,
    include_slow: Sequence[str] = (),
    pairs: int | None = None,
    seed: int = 0,
) -> JudgesValidationEntry:
    """A run's judges (as calibrated) measured on the bundled set: its log entry.

    ``SLOW_JUDGES`` are left out (and said so) unless named in ``include_slow``; with
    ``pairs``, on that many (prompt, joke) groups of the set, drawn with ``seed``. The
    review queue (``human``) is never measured: its labels are the measure, and judging
    the set would queue all its rows for review. The caller writes the entry, then prints
    ``validation_lines`` of it (written before it is reported).
    """
    import time

    rows = bundled_rows()
    if pairs is not None:
        rows = sample_pairs(rows, pairs, seed)
    kept, skipped = [], []
    for judge, spec in judges:
        if spec.name == REVIEW_JUDGE:
            reason = "human labels are what judges are measured against, not a judge to measure"
            skipped.append({"judge": spec.name, "reason": reason})
        elif spec.name in SLOW_JUDGES and spec.name not in include_slow:
            reason = "slow (a causal LM per text); list it in [validation] include_slow"
            skipped.append({"judge": spec.name, "reason": reason})
        else:
            kept.append((judge, spec))
    started = time.perf_counter()
    measures = measure_judges(kept, rows) if kept else ()
    seconds = round(time.perf_counter() - started, 3)
    return JudgesValidationEntry(
        data="bundled" if pairs is None else f"bundled, {pairs} pairs (seed {seed})",
        rows=len(rows),
        kinds=kind_counts(rows),
        judges=tuple(m.to_json() for m in measures),
        skipped=tuple(skipped),
        seconds=seconds,
    )


def validation_lines(entry: JudgesValidationEntry) -> list[str]:
    """What a run prints about its judges' validation: a line per judge measured or skipped."""
    lines = []
    for data in entry.judges:
        m = JudgeMeasure.from_json(data)
        lines.append(
            f"judge {m.judge} on the labelled set: recall {m.recall.value:.1%}, "
            f"false positives {m.false_positive_rate.value:.1%} ({m.rows} rows)"
        )
    lines.extend(f"judge {s['judge']} not validated: {s['reason']}" for s in entry.skipped)
    return lines


def effective_params(spec: JudgeSpec) -> dict[str, Any]:
    """Every parameter the judge ran with, defaults included: a measurement names its
    instrument's setting (a fluency margin left at its default is still a margin)."""
    import dataclasses

    params = check_spec(spec)
    return {f.name: getattr(params, f.name) for f in dataclasses.fields(params)}
