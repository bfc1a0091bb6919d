"""The store's read queries: the SQL behind ``FindingStore``'s reads, with their arguments.

Kept apart from the writes (``library``) and the API (``store``), so that what a read
returns is one ``SELECT`` to look at. Rows become typed records in ``records``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.store.records import FOUND_JOIN, FOUND_SCORES

CLUSTERING_SQL = "SELECT value FROM clustering WHERE key = 'parameters'"
_IN_MEMBERS = (
    "EXISTS (SELECT 1 FROM finding_exploits fe JOIN findings g ON g.id = fe.finding_id {join} "
    "WHERE fe.exploit_id = e.id AND {test})"
)
_CHECKPOINT = "(SELECT ? UNION SELECT fingerprint FROM checkpoints WHERE label = ?)"


def exploits_sql(
    kind: str | None,
    family: str | None,
    prompt: str | None,
    checkpoint: str | None,
    status: str | None,
) -> tuple[str, list[Any]]:
    """The query behind ``FindingStore.exploits`` (see there), with its arguments.

    A checkpoint is a fingerprint or a label. ``open_on``: 1 when some member's latest
    sighting on it is open, 0 when members were sighted there and none is, NULL when none
    was. Replay scores one representative per prompt, so: open while the trick still
    works on one of its prompts, and a member a search found there is open there.
    """
    if status not in (None, "open", "closed"):
        raise ValueError(f"status must be 'open' or 'closed', got {status!r}")
    if status is not None and checkpoint is None:
        raise ValueError("an open/closed filter needs a checkpoint")
    where, args = ["1"], []
    if kind is not None:
        where.append("e.kind = ?")
        args.append(kind)
    for column, value in (("family", family), ("prompt", prompt)):
        if value is not None:
            where.append(_IN_MEMBERS.format(join="", test=f"g.{column} = ?"))
            args.append(value)
    status_column = "NULL"
    if checkpoint is not None:
        where.append(
            _IN_MEMBERS.format(
                join="JOIN sightings x ON x.finding_id = g.id",
                test=f"x.checkpoint IN {_CHECKPOINT}",
            )
        )
        args += [checkpoint, checkpoint]
        status_column = (
            "(SELECT MAX(x.is_open) FROM finding_exploits fx JOIN sightings x "
            "ON x.finding_id = fx.finding_id WHERE fx.exploit_id = e.id AND x.id = "
            "(SELECT MAX(y.id) FROM sightings y WHERE y.finding_id = x.finding_id "
            f"AND y.checkpoint IN {_CHECKPOINT}))"
        )
        args = [checkpoint, checkpoint, *args]
    sql = (
        f"SELECT e.*, f.text, {status_column} AS open_on FROM exploits e "
        f"JOIN findings f ON f.id = e.representative WHERE {' AND '.join(where)}"
    )
    if status is not None:
        sql = f"SELECT * FROM ({sql}) WHERE open_on = {1 if status == 'open' else 0}"
    return sql + " ORDER BY id", args


MEMBERS_SQL = """
    SELECT f.id AS finding_id, f.kind, f.prompt, f.text, f.family, f.attack, m.margin,
           f.created_at AS first_seen, m.last_found AS last_seen
    FROM finding_exploits fe JOIN findings f ON f.id = fe.finding_id
    JOIN members m ON m.finding_id = f.id WHERE fe.exploit_id = ? ORDER BY f.id
"""


SUMMARY_SQL = """
    SELECT f.id, f.kind, f.family, f.attack, f.prompt, f.text,
           COUNT(s.id) AS sightings,
           COUNT(DISTINCT s.checkpoint) AS checkpoints,
           MAX(s.score - s.reference_score) AS best_margin,
           f.first_run, f.created_at
    FROM findings f LEFT JOIN sightings s ON s.finding_id = f.id
    GROUP BY f.id ORDER BY f.id
"""


def findings_sql(
    *,
    kind: str | None,
    family: str | None,
    up_to_id: int | None,
    ids: Sequence[int] | None,
) -> tuple[str, list[Any]]:
    """The query behind ``FindingStore.findings``: each finding row with the scores it was
    found with, its exploit now and its best margin (what ``records.stored_finding`` reads)."""
    where: list[str] = []
    args: list[Any] = []
    if kind is not None:
        where.append("f.kind = ?")
        args.append(kind)
    if family is not None:
        where.append("f.family = ?")
        args.append(family)
    if up_to_id is not None:
        where.append("f.id <= ?")
        args.append(up_to_id)
    if ids is not None:
        where.append(f"f.id IN ({', '.join('?' * len(ids))})")
        args.extend(ids)
    sql = (
        f"SELECT f.*, {FOUND_SCORES}, fe.exploit_id AS exploit_id, m.margin AS margin "
        f"FROM findings f {FOUND_JOIN} "
        "JOIN finding_exploits fe ON fe.finding_id = f.id "
        "JOIN members m ON m.finding_id = f.id"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    return sql + " ORDER BY f.id", args


def sightings_sql(*, finding_id: int | None, run_id: str | None) -> tuple[str, list[Any]]:
    """The query behind ``FindingStore.sightings``: each with its checkpoint's label."""
    where: list[str] = []
    args: list[Any] = []
    if finding_id is not None:
        where.append("s.finding_id = ?")
        args.append(finding_id)
    if run_id is not None:
        where.append("s.run_id = ?")
        args.append(run_id)
    sql = (
        "SELECT s.*, COALESCE(c.label, s.checkpoint) AS checkpoint_label FROM sightings s "
        "LEFT JOIN checkpoints c ON c.fingerprint = s.checkpoint"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    return sql + " ORDER BY s.id", args
