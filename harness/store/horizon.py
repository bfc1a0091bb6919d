"""What replay scores: one representative per exploit and prompt, as of a replay horizon.

A run replays the findings stored before it started (ids up to its *horizon*) and, when
it is killed, asks again on resume; it skips the finding ids its log already holds. So
the answer for one horizon must never change, however the store grows meanwhile:

- **Clustering**: the components of the signature graph *induced by* the findings with
  id ``<= horizon`` (``exploits.components``). A later finding that bridges two exploits
  merges them in the store, but not here. Only stored exploits that hold a signature
  first seen after the horizon are re-clustered; the others are whole already.
- **Margins**: a finding found again raises its stored best margin, which could change
  the representative. Here a member's margin is its best *search* sighting up to the
  first sighting of the horizon's finding: sightings are numbered in commit order, so
  that set is closed once the horizon finding is stored.

Per exploit and *prompt*, because a trick is replayed against each prompt's reference
it beat: a suffix that fooled the model on twenty prompts is one exploit, twenty replays.
The representative is the member first in ``exploits.representative_order`` (highest
margin, then shortest text, then text, then id). Without a horizon the store's current
clustering and best margins are used.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from typing import Any, TypeVar

import numpy as np

from harness.core.exploits import components, representative_order
from harness.store.records import FOUND_JOIN, FOUND_SCORES

Query = Callable[[str, Sequence[Any]], list[dict[str, Any]]]
T = TypeVar("T")

_CUTOFF = (
    "SELECT COALESCE(MIN(id), 0) AS cutoff FROM sightings "
    "WHERE finding_id = (SELECT MAX(id) FROM findings WHERE id <= ?)"
)
_MEMBERS = f"""
    SELECT f.*, {FOUND_SCORES}, m.signature_id, s.exploit_id AS stored_exploit,
           {{margin}} AS margin
    FROM findings f {FOUND_JOIN} JOIN members m ON m.finding_id = f.id
    JOIN signatures s ON s.id = m.signature_id {{join}}
    WHERE (? IS NULL OR f.kind = ?) AND (? IS NULL OR f.id <= ?)
    ORDER BY f.id
"""
_AS_OF = """
    LEFT JOIN (
        SELECT finding_id, MAX(score - reference_score) AS best FROM sightings
        WHERE source = 'search' AND id <= ? GROUP BY finding_id
    ) h ON h.finding_id = f.id
"""
_CHUNK = 500  # ids per IN (...): old SQLite builds allow 999 parameters
_NODES = "SELECT exploit_id, COUNT(*) AS nodes FROM signatures GROUP BY exploit_id"


def representatives(
    db: sqlite3.Connection, kind: str | None, up_to_id: int | None
) -> list[dict[str, Any]]:
    """Finding rows (as ``records.stored_finding`` reads them), with ``exploit_id`` and ``margin``.

    ``exploit_id`` is the smallest finding id of the exploit as of the horizon: the
    store's id of that exploit then (an id absorbed since still resolves in
    ``FindingStore.exploit``). Ordered by exploit id, then representative id. The reads
    share one snapshot (another run may be writing the store meanwhile).
    """
    return snapshot(db, lambda query: _choose(query, kind, up_to_id))


def snapshot(db: sqlite3.Connection, read: Callable[[Query], T]) -> T:
    """``read(query)`` in one read snapshot of the store (another run may be writing it)."""

    def query(sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
        cursor = db.execute(sql, args)
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    db.execute("BEGIN")  # deferred: a read snapshot, no lock taken
    try:
        return read(query)
    finally:
        db.execute("COMMIT")


def _choose(query: Query, kind: str | None, up_to_id: int | None) -> list[dict[str, Any]]:
    """The representatives' rows (see ``representatives``), with JSON columns as stored."""
    chosen: list[dict[str, Any]] = []
    for exploit_id, group in exploit_members(query, kind, up_to_id):
        by_prompt: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in group:
            by_prompt[row["prompt"]].append(row)
        for same_prompt in by_prompt.values():
            chosen.append({**best_member(same_prompt), "exploit_id": exploit_id})
    return sorted(chosen, key=lambda r: (r["exploit_id"], r["id"]))


def best_member(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The member a representative is chosen as: ``exploits.representative_order``."""
    return min(rows, key=lambda r: representative_order(r["margin"], r["text"], r["id"]))


def exploit_members(
    query: Query,
    kind: str | None,
    up_to_id: int | None,
    exclude_prompts: Collection[str] = (),
) -> list[tuple[int, list[dict[str, Any]]]]:
    """Every exploit as of the horizon, ``(exploit id, member rows)``: the finding rows (JSON
    columns as stored) with their ``margin`` as of the horizon, clustered as the findings
    up to it alone cluster (module doc). Run ``query`` inside ``snapshot``.

    ``exclude_prompts``: the findings on these prompts are left out *before* clustering,
    so they neither bridge two exploits into one nor give one its id (library seeding
    must not read them)."""
    if up_to_id is None:
        rows = query(_MEMBERS.format(margin="m.margin", join=""), (kind, kind, None, None))
    else:
        cutoff = query(_CUTOFF, (up_to_id,))[0]["cutoff"]
        sql = _MEMBERS.format(margin="COALESCE(h.best, 0.0)", join=_AS_OF)
        rows = query(sql, (cutoff, kind, kind, up_to_id, up_to_id))
    if exclude_prompts:
        excluded = set(exclude_prompts)
        rows = [row for row in rows if row["prompt"] not in excluded]
    by_stored: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_stored[row["stored_exploit"]].append(row)
    nodes = {r["exploit_id"]: r["nodes"] for r in query(_NODES, ())}
    exploits = []
    for stored, members in by_stored.items():
        for group in _split(query, members, whole=nodes[stored]):
            clean = [
                {k: v for k, v in row.items() if k not in ("signature_id", "stored_exploit")}
                for row in group
            ]
            exploits.append((min(r["id"] for r in group), clean))
    return exploits


def _split(
    query: Query, members: list[dict[str, Any]], *, whole: int
) -> list[list[dict[str, Any]]]:
    """One stored exploit's members up to the horizon, in the components they form alone.

    When they hold every signature of the stored exploit they are that whole component.
    """
    signature_ids = sorted({r["signature_id"] for r in members})
    if len(signature_ids) == whole:
        return [members]
    nodes = []
    for start in range(0, len(signature_ids), _CHUNK):
        chunk = signature_ids[start : start + _CHUNK]
        sql = f"SELECT id, kind, shingles, bands FROM signatures WHERE id IN ({_marks(chunk)})"
        nodes += [
            (r["id"], r["kind"], tuple(json.loads(r["shingles"])), np.frombuffer(r["bands"], "<u8"))
            for r in query(sql, chunk)
        ]
    groups = components(nodes)
    where = {node: index for index, group in enumerate(groups) for node in group}
    split: list[list[dict[str, Any]]] = [[] for _ in groups]
    for row in members:
        split[where[row["signature_id"]]].append(row)
    return split


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))
