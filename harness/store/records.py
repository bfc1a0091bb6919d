"""What the store writes for a finding (``harness.core.finding.Finding``) and what it reads back.

The finding itself, and its key, live in ``harness.core.finding``: attacks make it and the
store takes it as it is. What is the store's own business is the column order of a
``findings`` row, what goes in its ``detail`` column, and the typed records its reads
return: a ``StoredFinding`` (the finding as recorded, with its id and exploit), the
``Recorded`` ids of a write, and the ``StoredExploit`` summary of an exploit. Outside the store
nothing indexes a finding by column name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.core.exploits import ExploitSummary, Facts
from harness.core.finding import Finding, finding_key

__all__ = [
    "ExploitDetail",
    "Finding",
    "Recorded",
    "Sighting",
    "StoredExploit",
    "StoredFinding",
    "exploit_summary",
    "finding_key",
    "finding_of",
    "finding_row",
    "stored_detail",
    "stored_finding",
]

#: The search fields a search finding's ``detail`` column holds (``stored_detail``).
_SEARCH_DETAIL = ("seed", "queries_at_find", "seeded", "attack_id")


def stored_detail(finding: Finding) -> dict[str, Any]:
    """The ``detail`` column: a search finding's seed, queries, origin and suite id (as the
    store always kept them) and its judges' ``measures`` when it has any, or an
    instability's pair (its ``detail``).

    The measures ride in ``detail`` rather than a column of their own: a JSON object per
    finding, read only whole, and a row written before they existed simply has none, so
    the schema (and every store already written) stays as it is.
    """
    if finding.kind == "instability":
        return dict(finding.detail)
    measures = {"measures": dict(finding.measures)} if finding.measures else {}
    return {
        "seed": finding.seed,
        "queries_at_find": finding.queries_at_find,
        "seeded": finding.seeded,
        "attack_id": finding.attack_id,
        **measures,
        **finding.detail,
    }


def finding_row(finding: Finding, run_id: str, checkpoint: str, now: str) -> tuple[Any, ...]:
    """The ``findings`` row of ``finding``, in the column order the store inserts."""
    return (
        finding.key,
        finding.kind,
        finding.prompt,
        finding.reference,
        finding.text,
        finding.family,
        finding.attack,
        json.dumps(list(finding.reasons), ensure_ascii=False),
        json.dumps(stored_detail(finding), ensure_ascii=False),
        run_id,
        checkpoint,
        now,
    )


@dataclass(frozen=True)
class Sighting:
    finding_id: int
    score: float
    reference_score: float
    is_open: bool


@dataclass(frozen=True)
class StoredFinding:
    """A finding as the store holds it: the ``Finding`` as it was recorded, and where it is.

    ``finding.score`` and ``finding.reference_score`` are those of its first search
    sighting (the scores it was found with; 0 for a finding no search sighted, which only
    a store migrated from an old version can hold). ``margin`` is the best margin a search
    found it with (its exploit's representative is chosen by it); ``exploit_id`` the id of
    its exploit now, or as of a replay horizon where the read says so.
    """

    id: int
    exploit_id: int
    finding: Finding
    margin: float
    first_run: str
    first_checkpoint: str
    created_at: str


@dataclass(frozen=True)
class Recorded:
    """What ``FindingStore.record`` made of one finding: its id, its exploit, and every
    exploit id merged into that one so far (by this finding's bridging or any earlier
    one's), so a reader of the run's log alone can follow every merge its findings saw."""

    finding_id: int
    exploit_id: int
    merged: tuple[int, ...] = ()


@dataclass(frozen=True)
class StoredExploit(ExploitSummary):
    """One exploit's summary row (``harness.core.exploits.ExploitSummary``), with its
    ``status`` on the checkpoint a read asked about: ``open``, ``closed``, or ``None`` when
    no member was sighted there (or no checkpoint was asked about)."""

    status: str | None = None


@dataclass(frozen=True)
class ExploitDetail:
    """One exploit with its members (oldest first) and the ids merged into it."""

    summary: StoredExploit
    members: tuple[Facts, ...]
    absorbed: tuple[int, ...]


#: The scores a finding was found with: those of its first search sighting. Select
#: ``FOUND_SCORES`` with ``FOUND_JOIN`` on ``findings f`` to read a row ``finding_of`` takes.
FOUND_SCORES = (
    "COALESCE(found.score, 0.0) AS score, COALESCE(found.reference_score, 0.0) AS reference_score"
)
FOUND_JOIN = (
    "LEFT JOIN sightings found ON found.id = (SELECT MIN(id) FROM sightings "
    "WHERE finding_id = f.id AND source = 'search')"
)


def finding_of(row: Mapping[str, Any]) -> Finding:
    """The ``Finding`` of a ``findings`` row read with ``FOUND_SCORES`` (JSON columns still
    encoded): the one place a stored row becomes a finding again (``stored_detail``
    inverted)."""
    detail = json.loads(row["detail"])
    search = {}
    if row["kind"] != "instability":
        search = {name: detail.pop(name) for name in _SEARCH_DETAIL if name in detail}
        measures = detail.pop("measures", {})
        if isinstance(measures, dict):
            search["measures"] = {
                k: float(v) for k, v in measures.items() if isinstance(v, (int, float))
            }
    return Finding(
        kind=row["kind"],
        prompt=row["prompt"],
        reference=row["reference"],
        text=row["text"],
        family=row["family"],
        attack=row["attack"],
        score=float(row["score"]),
        reference_score=float(row["reference_score"]),
        reasons=tuple(json.loads(row["reasons"])),
        detail=detail,
        **search,
    )


def stored_finding(row: Mapping[str, Any]) -> StoredFinding:
    """The typed record of a ``findings`` row read with ``FOUND_SCORES``, ``exploit_id``
    and ``margin`` beside its columns."""
    return StoredFinding(
        id=int(row["id"]),
        exploit_id=int(row["exploit_id"]),
        finding=finding_of(row),
        margin=float(row["margin"]),
        first_run=row["first_run"],
        first_checkpoint=row["first_checkpoint"],
        created_at=row["created_at"],
    )


def exploit_summary(row: Mapping[str, Any]) -> StoredExploit:
    """A summary row of the ``exploits`` table with its representative's ``text`` (and
    ``open_on``, where a checkpoint was asked about) as a typed record."""
    open_on = row.get("open_on")
    return StoredExploit(
        id=int(row["id"]),
        kind=row["kind"],
        representative=int(row["representative"]),
        text=row["text"],
        size=int(row["size"]),
        families=tuple(json.loads(row["families"])),
        attacks=tuple(json.loads(row["attacks"])),
        prompts=tuple(json.loads(row["prompts"])),
        best_margin=float(row["best_margin"]),
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        status=None if open_on is None else ("open" if open_on else "closed"),
    )
