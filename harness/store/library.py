"""The store's SQL below its API: the write handle ``Tx``, and the exploit tables (v3).

``join_exploit`` links one new finding to its exploit (joining or merging exploits),
``refresh_exploits`` rewrites the summary rows of the exploits a write touched,
``recluster`` rebuilds the tables from the findings (the v3 migration, and a store
clustered with other signature or threshold parameters), ``load_graph`` rebuilds the
in-memory clustering graph from them. ``record_finding`` is one finding's part of a
recording transaction. The read queries are ``queries``'s (``representatives``, what
replay scores, is ``horizon``'s).
What an exploit is, and how its id behaves, is ``harness.core.exploits``; the table
layout is ``schema``'s v3 step.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from functools import partial
from typing import Any

import numpy as np

from harness.core.exploits import (
    CLUSTERING,
    Exploit,
    ExploitIndex,
    Facts,
    Member,
    SignatureGraph,
    summarize,
)
from harness.core.finding import Finding
from harness.core.signature import Signature
from harness.store.records import FOUND_JOIN, FOUND_SCORES, Recorded, finding_of, finding_row


def now() -> str:
    """The store's timestamps: UTC, ISO 8601, to the second (they sort as text)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Tx:
    """The write handle inside ``FindingStore.transaction``; migration steps get it too."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def execute(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self._db.execute(sql, args)

    def executescript_in_tx(self, script: str) -> None:
        """Run a multi-statement script inside the open transaction (executescript commits)."""
        for statement in script.split(";"):
            if statement.strip():
                self._db.execute(statement)

    def add_sighting(
        self,
        finding_id: int,
        run_id: str,
        checkpoint: str,
        source: str,
        score: float,
        reference_score: float,
        is_open: bool,
        at: str | None = None,
    ) -> bool:
        """Add a sighting (seen ``at``, default now); False if this run already saw it here."""
        seen = at or now()
        cursor = self._db.execute(
            "INSERT INTO sightings (finding_id, run_id, checkpoint, source, score, "
            "reference_score, is_open, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (finding_id, run_id, checkpoint, source) DO NOTHING",
            (finding_id, run_id, checkpoint, source, score, reference_score, int(is_open), seen),
        )
        return cursor.rowcount == 1


def write_exploit(db: Tx, exploit: Exploit) -> None:
    """Insert or replace the summary row of one exploit."""
    db.execute(
        "INSERT OR REPLACE INTO exploits (id, kind, representative, size, best_margin, "
        "families, attacks, prompts, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            exploit.id,
            exploit.kind,
            exploit.representative,
            exploit.size,
            exploit.best_margin,
            json.dumps(exploit.families, ensure_ascii=False),
            json.dumps(exploit.attacks, ensure_ascii=False),
            json.dumps(exploit.prompts, ensure_ascii=False),
            exploit.first_seen,
            exploit.last_seen,
        ),
    )


def join_exploit(
    db: Tx,
    graph: SignatureGraph,
    finding_id: int,
    kind: str,
    sig: Signature,
    bands: np.ndarray,
    margin: float,
    now: str,
) -> tuple[int, tuple[int, ...]]:
    """Link a newly inserted finding to its exploit, merging the exploits it bridges.

    A known signature means a known exploit. A new one enters ``graph`` (keyed by its
    row id); every exploit it reaches merges into the one with the smallest id, which
    with this finding's (larger) id is the smallest finding id of the merged cluster.
    Absorbed ids are kept in ``exploit_merges`` (pointing straight at the survivor).
    Returns the finding's exploit id and the ids absorbed into it (a run log keeps both).
    """
    row = db.execute(
        "SELECT id FROM signatures WHERE kind = ? AND digest = ?", (kind, sig.digest)
    ).fetchone()
    absorbed_ids: tuple[int, ...] = ()
    if row is not None:
        sig_id = row[0]
        (survivor,) = db.execute(
            "SELECT exploit_id FROM signatures WHERE id = ?", (sig_id,)
        ).fetchone()
    else:
        sig_id = db.execute(
            "INSERT INTO signatures (kind, digest, shingles, bands, exploit_id) "
            "VALUES (?, ?, ?, ?, ?)",
            (kind, sig.digest, json.dumps(sig.shingles), bands.astype("<u8").tobytes(), finding_id),
        ).lastrowid
        reached = {
            db.execute("SELECT exploit_id FROM signatures WHERE id = ?", (node,)).fetchone()[0]
            for node in graph.add(sig_id, kind, sig.shingles, bands)
        }
        survivor = min(reached | {finding_id})
        absorbed_ids = tuple(sorted(reached - {survivor}))
        for absorbed in absorbed_ids:
            db.execute(
                "UPDATE signatures SET exploit_id = ? WHERE exploit_id = ?", (survivor, absorbed)
            )
            db.execute("DELETE FROM exploits WHERE id = ?", (absorbed,))
            db.execute(
                "UPDATE exploit_merges SET into_id = ? WHERE into_id = ?", (survivor, absorbed)
            )
            db.execute(
                "INSERT OR REPLACE INTO exploit_merges (absorbed, into_id) VALUES (?, ?)",
                (absorbed, survivor),
            )
        db.execute("UPDATE signatures SET exploit_id = ? WHERE id = ?", (survivor, sig_id))
    db.execute(
        "INSERT INTO members (finding_id, signature_id, margin, last_found) VALUES (?, ?, ?, ?)",
        (finding_id, sig_id, margin, now),
    )
    return survivor, absorbed_ids


def record_finding(
    db: Tx,
    graph: SignatureGraph,
    item: Finding,
    sig: Signature,
    bands: np.ndarray,
    run_id: str,
    checkpoint: str,
) -> tuple[Recorded, bool]:
    """Insert one finding (or find it by key) with its search sighting; join its exploit.

    Returns what it became, and whether this changed its exploit's summary (a new finding,
    or one found again by this run on this checkpoint: its best margin may have grown).
    """
    stamp = now()
    cursor = db.execute(
        "INSERT INTO findings (key, kind, prompt, reference, text, family, "
        "attack, reasons, detail, first_run, first_checkpoint, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
        finding_row(item, run_id, checkpoint, stamp),
    )
    inserted = cursor.rowcount == 1
    (finding_id,) = db.execute("SELECT id FROM findings WHERE key = ?", (item.key,)).fetchone()
    margin = item.score - item.reference_score
    sighted = db.add_sighting(
        finding_id, run_id, checkpoint, "search", item.score, item.reference_score, True, stamp
    )
    if inserted:
        exploit_id, _ = join_exploit(db, graph, finding_id, item.kind, sig, bands, margin, stamp)
    else:
        if sighted:
            db.execute(
                "UPDATE members SET margin = MAX(margin, ?), last_found = ? WHERE finding_id = ?",
                (margin, stamp, finding_id),
            )
        (exploit_id,) = db.execute(
            "SELECT exploit_id FROM finding_exploits WHERE finding_id = ?", (finding_id,)
        ).fetchone()
    # Every id merged into this exploit so far, not only by this finding: a unit redone
    # after a kill finds its finding stored already, and a merge another run made is news
    # to this run's log; either way the log's reader needs the whole record.
    merged = tuple(
        row[0]
        for row in db.execute(
            "SELECT absorbed FROM exploit_merges WHERE into_id = ? ORDER BY absorbed",
            (exploit_id,),
        )
    )
    return Recorded(finding_id, exploit_id, merged), inserted or sighted


def load_graph(db: Tx) -> SignatureGraph:
    """The clustering graph of the stored signatures, with their stored exploits as components."""
    graph = SignatureGraph()
    first: dict[int, int] = {}
    rows = db.execute("SELECT id, kind, shingles, bands, exploit_id FROM signatures ORDER BY id")
    for sig_id, kind, shingles, raw, exploit_id in rows:
        keys = np.frombuffer(raw, dtype="<u8")
        graph.restore(sig_id, kind, partial(_decode, shingles), keys, first.get(exploit_id))
        first.setdefault(exploit_id, sig_id)
    return graph


def _decode(shingles: str) -> tuple[str, ...]:
    return tuple(json.loads(shingles))


def refresh_exploits(db: Tx, finding_ids: Iterable[int]) -> None:
    """Rewrite the summary rows of the exploits these findings now belong to."""
    wanted = sorted(set(finding_ids))
    exploit_ids: set[int] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = db.execute(
            "SELECT DISTINCT exploit_id FROM finding_exploits "
            f"WHERE finding_id IN ({', '.join('?' * len(chunk))})",
            chunk,
        )
        exploit_ids.update(r[0] for r in rows)
    for exploit_id in sorted(exploit_ids):
        rows = db.execute(
            """
            SELECT f.id, f.kind, f.prompt, f.text, f.family, f.attack, m.margin,
                   f.created_at, m.last_found
            FROM signatures s JOIN members m ON m.signature_id = s.id
            JOIN findings f ON f.id = m.finding_id WHERE s.exploit_id = ?
            """,
            (exploit_id,),
        ).fetchall()
        write_exploit(db, replace(summarize([_facts(*r) for r in rows]), id=exploit_id))


def _facts(
    fid: int, kind: str, prompt: str, text: str, family: str, attack: str, margin: float,
    first: str, last: str,
) -> Facts:  # fmt: skip
    return Facts(
        finding_id=fid,
        kind=kind,
        prompt=prompt,
        text=text,
        family=family,
        attack=attack,
        margin=margin,
        first_seen=first,
        last_seen=last,
    )


def recluster(db: Tx) -> None:
    """Sign every stored finding and cluster them all at once into fresh exploit tables.

    A finding's margin is its best search sighting's (0 without one), its first and last
    times its creation and its latest search sighting. Merge history is dropped: the
    exploits are rebuilt, not continued.
    """
    for table in ("members", "signatures", "exploits", "exploit_merges"):
        db.execute(f"DELETE FROM {table}")
    cursor = db.execute(
        f"""
        SELECT f.*, {FOUND_SCORES}, s.margin AS margin, s.last_found AS last_found
        FROM findings f {FOUND_JOIN} LEFT JOIN (
            SELECT finding_id, MAX(score - reference_score) AS margin, MAX(seen_at) AS last_found
            FROM sightings WHERE source = 'search' GROUP BY finding_id
        ) s ON s.finding_id = f.id
        ORDER BY f.id
        """
    )
    columns = [c[0] for c in cursor.description]
    rows = [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]
    index = ExploitIndex()
    index.add(
        Member.of(
            row["id"],
            finding_of(row),
            margin=row["margin"] if row["margin"] is not None else 0.0,
            first_seen=row["created_at"],
            last_seen=row["last_found"] if row["last_found"] is not None else row["created_at"],
        )
        for row in rows
    )
    assignment = index.assignment()
    for kind, sig, bands, members in index.signatures():
        cursor = db.execute(
            "INSERT INTO signatures (kind, digest, shingles, bands, exploit_id) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                kind,
                sig.digest,
                json.dumps(sig.shingles),
                bands.astype("<u8").tobytes(),
                assignment[members[0].finding_id],
            ),
        )
        for member in members:
            db.execute(
                "INSERT INTO members (finding_id, signature_id, margin, last_found) "
                "VALUES (?, ?, ?, ?)",
                (member.finding_id, cursor.lastrowid, member.margin, member.last_seen),
            )
    for exploit in index.exploits():
        write_exploit(db, exploit)
    db.execute(
        "INSERT OR REPLACE INTO clustering (key, value) VALUES ('parameters', ?)", (CLUSTERING,)
    )
