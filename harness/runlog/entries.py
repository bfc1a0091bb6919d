"""The run log's entry types: one frozen dataclass per line type, with its JSON form.

Writers build entries and readers get them back typed, so a field is named in one place
(here, and in ``docs/run-log.md``, which a test keeps in step) rather than as a string
key in every module that reads the log. Each entry knows its ``type`` (a class
attribute), the ``time`` it was made (UTC, ISO 8601, milliseconds), its ``to_json()``
and ``from_json()``; what a reader derives from one entry alone (a replay's status,
whether an attempt is the instability probe's) is a property of the entry.

    entry = ReplayEntry.from_json(line)
    entry.status        # "open", "closed" or "reopened"

The log's format has a version, ``LOG_VERSION``, recorded in the ``init`` entry. A new
entry type or field is a new minor version (older readers skip what they do not know);
a renamed or removed field is a new major version, and ``from_json`` upgrades lines of
older majors (see ``AttemptEntry.upgrade``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from attacks.instability import Instability
from harness.core.finding import Finding
from harness.judges.validation import JudgeMeasure
from harness.runlog.nested import (
    AccuracyRecord,
    ChanceRecord,
    LibraryRecord,
    RunConfig,
    Seeds,
    SkippedAttack,
    SuiteRecord,
)
from harness.runlog.record import FIRST_VERSION, LOG_VERSION, LogVersion, Record, now

PROBE_UNIT_SUFFIX = "/instability"

#: A replay's phase: stored findings ``before`` the search, or this run's ``transfer``.
Phase = Literal["before", "transfer"]


# --------------------------------------------------------------------- entries
@dataclass(frozen=True, kw_only=True)
class Entry(Record):
    """One line of the run log."""

    type: ClassVar[str]
    time: str = field(default_factory=now)

    #: Properties written beside the fields (readers recompute them, and ignore the keys).
    DERIVED: ClassVar[tuple[str, ...]] = ()

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, **super().to_json(), **self._derived()}

    def _derived(self) -> dict[str, Any]:
        """The ``DERIVED`` values; ``None`` for one that a damaged line's values cannot give
        (a log line's JSON types are not checked on reading)."""
        values: dict[str, Any] = {}
        for name in self.DERIVED:
            try:
                values[name] = getattr(self, name)
            except (TypeError, ValueError):
                values[name] = None
        return values


@dataclass(frozen=True, kw_only=True)
class InitEntry(Entry):
    """First line: what the run is (suite, checkpoints, config, seeds, versions)."""

    type: ClassVar[str] = "init"
    run_id: str
    log_version: str = LOG_VERSION
    suite: SuiteRecord
    config: RunConfig
    seeds: Seeds
    checkpoints: tuple[dict[str, Any], ...]  # what ``rmh info`` shows, with ``fingerprint``
    prompts: int
    pairs: int
    margin: float = 0.0
    judges: tuple[dict[str, Any], ...] = ()  # calibrated JudgeSpec JSON
    replay_horizon: int = 0
    executor: str = "local"
    versions: dict[str, str] = field(default_factory=dict)
    started_at: str = ""
    skipped_attacks: tuple[SkippedAttack, ...] = ()  # log version 2.3; before it, none
    library: LibraryRecord | None = None  # seed_from = "library" (3.2); else, or before, none

    @classmethod
    def upgrade(cls, data: dict[str, Any], version: LogVersion) -> dict[str, Any]:
        return {"log_version": FIRST_VERSION, **data}

    @property
    def version(self) -> LogVersion:
        return LogVersion.parse(self.log_version)

    @property
    def fingerprints(self) -> list[str]:
        return [str(info["fingerprint"]) for info in self.checkpoints]


@dataclass(frozen=True, kw_only=True)
class CleanEntry(Entry):
    """Held-out pairwise accuracy and chance rate of one checkpoint, in total and per
    prompt (``[successes, trials]``; log version 3.0, empty before): an experiment
    resamples prompts, and reads these instead of scoring the pairs again."""

    type: ClassVar[str] = "clean"
    checkpoint: int
    fingerprint: str
    accuracy: AccuracyRecord
    chance: ChanceRecord
    accuracy_by_prompt: dict[str, tuple[int, int]] = field(default_factory=dict)
    chance_by_prompt: dict[str, tuple[int, int]] = field(default_factory=dict)
    queries: int


@dataclass(frozen=True, kw_only=True)
class ReplayEntry(Entry):
    """One stored finding re-scored on one checkpoint: still open, or closed?"""

    type: ClassVar[str] = "replay"
    phase: Phase
    source: int  # -1 for "before"; the checkpoint this run found it on for "transfer"
    checkpoint: int
    fingerprint: str
    finding_id: int
    key: str
    family: str
    attack: str
    prompt: str
    text: str
    score: float
    reference_score: float
    margin: float
    open: bool
    was_open: bool | None = None

    @property
    def status(self) -> Literal["open", "closed", "reopened"]:
        """``reopened``: closed at its latest earlier sighting, open again now."""
        if self.open:
            return "reopened" if self.was_open is False else "open"
        return "closed"


@dataclass(frozen=True, kw_only=True)
class AttemptEntry(Entry):
    """One unit done (an attack on a prompt), or the instability probe of a checkpoint.

    The probe's attempt (unit ``N/instability``) has ``pairs`` and no per-prompt fields.
    ``findings`` counts the findings kept, ``crossed`` every judged-bad candidate that
    crossed the bar (log version 2.1; a line without it, from an older version or built
    without it, reads ``crossed`` as ``findings``: before 2.1 every one was kept).
    """

    type: ClassVar[str] = "attempt"
    unit: str
    checkpoint: int
    attack_id: str  # the suite's id for the attack
    attack: str  # the attack's registry name
    family: str
    replicate: int | None = None
    prompt_index: int | None = None
    prompt: str | None = None
    seed: int | None = None
    budget: int | None = None
    queries: int = 0
    evaluated: int | None = None
    reference_score: float | None = None
    best_score: float | None = None
    best_margin: float | None = None
    findings: int = 0
    crossed: int | None = None  # None: as ``findings`` (see __post_init__)
    searched_findings: int | None = None
    first_finding_queries: int | None = None
    seconds: float = 0.0
    error: bool = False
    pairs: int | None = None
    lm_tokens: int = 0  # tokens a language model generated for the search (log 3.1; 0 before)
    surrogate_queries: int = 0  # queries paid to a local surrogate model (log 3.2; 0 before)
    detail: dict[str, Any] = field(default_factory=dict)  # how it spent the budget (3.2)

    def __post_init__(self) -> None:
        if self.crossed is None:
            object.__setattr__(self, "crossed", self.findings)

    @classmethod
    def upgrade(cls, data: dict[str, Any], version: LogVersion) -> dict[str, Any]:
        """Log version 1 named the suite id ``attack`` and the registry name ``attack_name``.

        Keyed on the line's shape as well as the version: a run started before version 2
        and resumed after it has lines of both shapes.
        """
        if version.major == 1 and "attack_id" not in data and "attack" in data:
            data["attack_id"] = data.pop("attack")
            data["attack"] = data.pop("attack_name", data["attack_id"])
        return data

    @classmethod
    def probe(
        cls, *, checkpoint: int, pairs: int, queries: int, findings: int, seconds: float
    ) -> AttemptEntry:
        """The instability probe's attempt: it marks the probe of ``checkpoint`` done."""
        return cls(
            unit=probe_unit(checkpoint),
            checkpoint=checkpoint,
            attack_id="instability",
            attack="instability",
            family="instability",
            pairs=pairs,
            queries=queries,
            findings=findings,
            seconds=seconds,
        )

    @property
    def is_probe(self) -> bool:
        return self.unit.endswith(PROBE_UNIT_SUFFIX)

    @property
    def succeeded(self) -> bool:
        """An attack success, as every ASR counts one: the attempt kept a finding. A crashed
        attempt counts among the errors, in no ASR, whatever it found before it crashed."""
        return self.findings > 0 and not self.error


def probe_unit(checkpoint: int) -> str:
    return f"{checkpoint}{PROBE_UNIT_SUFFIX}"


@dataclass(frozen=True, kw_only=True)
class FindingEntry(Entry, Finding):
    """A finding, written to the store before this line: the ``Finding`` itself (one field
    declaration for both) with where it was found and what the store made of it.

    ``exploit_id`` is the store's exploit of the finding when it was recorded, and
    ``merged`` every exploit id the store had merged into that one by then (by this
    finding's bridging or an earlier one's), so a reader rebuilds the store's clustering
    of the run from the log alone (``harness.runlog.exploit_metrics``), resumed or not,
    instead of clustering a second time. Both are
    ``None``/empty in logs before 3.0. ``key`` and ``margin`` are derived from the
    finding and written beside its fields (``DERIVED``), as logs always had them.
    """

    type: ClassVar[str] = "finding"
    DERIVED: ClassVar[tuple[str, ...]] = ("key", "margin")
    checkpoint: int
    fingerprint: str
    unit: str
    finding_id: int  # store id
    exploit_id: int | None = None  # log version 3.0
    merged: tuple[int, ...] = ()  # log version 3.0

    @classmethod
    def of(
        cls,
        finding: Finding,
        *,
        checkpoint: int,
        fingerprint: str,
        unit: str,
        finding_id: int,
        exploit_id: int | None = None,
        merged: tuple[int, ...] = (),
    ) -> FindingEntry:
        """The line of ``finding`` (stored under ``finding_id``) found by ``unit``."""
        shared = {f.name: getattr(finding, f.name) for f in dataclasses.fields(Finding)}
        return cls(
            **shared
            | {  # plain JSON values: a scorer's numpy scalars are not
                "score": float(finding.score),
                "reference_score": float(finding.reference_score),
                "seed": int(finding.seed),
                "queries_at_find": int(finding.queries_at_find),
                "seeded": bool(finding.seeded),
                "reasons": tuple(finding.reasons),
                "measures": {k: float(v) for k, v in finding.measures.items()},
            },
            checkpoint=checkpoint,
            fingerprint=fingerprint,
            unit=unit,
            finding_id=finding_id,
            exploit_id=exploit_id,
            merged=tuple(merged),
        )

    @property
    def finding(self) -> Finding:
        """The plain finding (without where it was logged)."""
        return Finding(**{f.name: getattr(self, f.name) for f in dataclasses.fields(Finding)})


@dataclass(frozen=True, kw_only=True)
class InstabilityEntry(Entry, Instability):
    """A meaning-preserving edit that flipped a preference pair (also in the store): the
    probe's ``Instability`` itself (one field declaration for both) with where it was
    logged; ``swing`` is derived from it and written beside its fields (``DERIVED``)."""

    type: ClassVar[str] = "instability"
    DERIVED: ClassVar[tuple[str, ...]] = ("swing",)
    checkpoint: int
    finding_id: int
    key: str


@dataclass(frozen=True, kw_only=True)
class ErrorEntry(Entry):
    """An attack crashed on one prompt (``attack``), or an optional attack was skipped
    because its extra is not installed (``skip``; a white-box attack skipped on a
    checkpoint without gradients is in ``InitEntry.skipped_attacks`` instead)."""

    type: ClassVar[str] = "error"
    stage: Literal["attack", "skip"]
    unit: str | None = None
    checkpoint: int | None = None
    attack: str  # the suite's id for the attack
    prompt_index: int | None = None
    message: str


@dataclass(frozen=True, kw_only=True)
class JudgesValidationEntry(Entry):
    """The run's judges measured on labelled rows when it started (log version 3.1): per
    judge and kind, recall, false positives and precision with Wilson intervals
    (``harness.judges.validation``), so the report can say how far to trust its judges.
    Written once, after ``init``, when the suite's ``[validation]`` is enabled."""

    type: ClassVar[str] = "validation"
    data: str  # where the rows came from ("bundled": the held-out labelled set)
    rows: int
    kinds: dict[str, dict[str, int]]  # per kind: rows, bad
    judges: tuple[dict[str, Any], ...]  # JudgeMeasure JSON, the judges combined last
    skipped: tuple[dict[str, str], ...] = ()  # judge, reason
    seconds: float = 0.0

    @property
    def measures(self) -> tuple[JudgeMeasure, ...]:
        return tuple(JudgeMeasure.from_json(m) for m in self.judges)


@dataclass(frozen=True, kw_only=True)
class CompletionEntry(Entry):
    """Last line: the run's totals (``harness.runlog.metrics.run_totals``) and wall time."""

    type: ClassVar[str] = "completion"
    units: int
    attempts: int
    findings: int
    findings_by_family: dict[str, int]
    instabilities: int
    replayed: int
    still_open: int
    reopened: int
    errors: int
    queries: int
    wall_seconds: float
    session_seconds: float
    lm_tokens: int = 0  # summed over attempts (log 3.1; 0 before)


ENTRY_CLASSES: tuple[type[Entry], ...] = (
    InitEntry,
    CleanEntry,
    ReplayEntry,
    AttemptEntry,
    FindingEntry,
    InstabilityEntry,
    ErrorEntry,
    JudgesValidationEntry,
    CompletionEntry,
)
#: Entry type name to its class.
ENTRY_TYPES: dict[str, type[Entry]] = {cls.type: cls for cls in ENTRY_CLASSES}
