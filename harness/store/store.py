"""The findings store: one SQLite file that is the project's exploit library.

A finding is stored once per (kind, prompt, family, normalized text): the *key*. Every
time a run sees it again (found by search, or replayed against a checkpoint) a
*sighting* is added: which run, which checkpoint, what score, still open or not. One
store serves many runs and checkpoints, so it answers "which old holes are still open
on the new checkpoint?".

Durability and concurrency: WAL journal, ``synchronous=NORMAL``, one short ``BEGIN
IMMEDIATE`` transaction per batch of writes, and a busy timeout, so two runs can write
the same store at once. A store that stays locked past the timeout, a file that is not
SQLite, and a store written by a newer version of this code are clear errors.

The schema and its migrations are in ``schema``; the records a run hands in, in ``records``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from harness.core.errors import HarnessError
from harness.store.records import NewFinding, Sighting
from harness.store.schema import MIGRATIONS, SCHEMA_VERSION

DEFAULT_TIMEOUT = 30.0


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class FindingStore:
    """A SQLite findings store. Open with ``FindingStore.open(path)``; use as a context manager."""

    def __init__(self, path: Path, connection: sqlite3.Connection, timeout: float) -> None:
        self.path = path
        self._db = connection
        self._timeout = timeout

    # ------------------------------------------------------------------ open
    @classmethod
    def open(cls, path: str | Path, *, timeout: float = DEFAULT_TIMEOUT) -> FindingStore:
        """Open (creating and migrating as needed) the store at ``path``."""
        path = Path(path)
        if path.is_dir():
            raise HarnessError(f"store {path} is a directory, not a SQLite file")
        if path.exists() and path.stat().st_size > 0:
            with open(path, "rb") as handle:
                if handle.read(16) != b"SQLite format 3\x00":
                    raise HarnessError(f"store {path} is not a SQLite database")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise HarnessError(f"cannot open store {path}: {exc}") from None
        store = cls(path, db, timeout)
        try:
            store._setup()
        except BaseException:
            db.close()
            raise
        return store

    def _setup(self) -> None:
        with self._errors("open"):
            self._db.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA foreign_keys = ON")
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise HarnessError(
                f"store {self.path} has schema version {version}, newer than this "
                f"rm-harness understands ({SCHEMA_VERSION}); upgrade rm-harness"
            )
        if version < SCHEMA_VERSION:
            self._migrate()

    def _migrate(self) -> None:
        with self.transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]  # re-read under lock
            for target in range(version, SCHEMA_VERSION):
                db.executescript_in_tx(MIGRATIONS[target])
                db.execute(f"PRAGMA user_version = {target + 1}")

    @property
    def schema_version(self) -> int:
        with self._errors("read"):
            return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> FindingStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------- transactions
    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as exc:
            message = str(exc)
            if "locked" in message or "busy" in message:
                raise HarnessError(
                    f"store {self.path} is locked by another process "
                    f"(waited {self._timeout:g}s); try again when it is done"
                ) from None
            raise HarnessError(f"store {self.path}: cannot {action}: {message}") from None
        except sqlite3.DatabaseError as exc:
            raise HarnessError(
                f"store {self.path} is not a usable SQLite database: {exc}"
            ) from None

    @contextmanager
    def transaction(self) -> Iterator[_Tx]:
        """One write transaction, taken up front (``BEGIN IMMEDIATE``) so writers queue."""
        with self._errors("write"):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield _Tx(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # ----------------------------------------------------------------- writes
    def register_run(self, run_id: str, folder: str, suite: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO runs (id, folder, suite, started_at) VALUES (?, ?, ?, ?)",
                (run_id, folder, suite, _now()),
            )

    def label_checkpoint(self, fingerprint: str, label: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO checkpoints (fingerprint, label) VALUES (?, ?) "
                "ON CONFLICT (fingerprint) DO UPDATE SET label = excluded.label",
                (fingerprint, label),
            )

    def record(self, findings: Sequence[NewFinding], *, run_id: str, checkpoint: str) -> list[int]:
        """Add findings (deduplicated) and one search sighting each; returns their ids.

        Idempotent: recording the same findings for the same run and checkpoint again
        (a resumed run redoing an unfinished attempt) adds nothing.
        """
        ids: list[int] = []
        with self.transaction() as db:
            for item in findings:
                db.execute(
                    "INSERT INTO findings (key, kind, prompt, reference, text, family, attack, "
                    "reasons, detail, first_run, first_checkpoint, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                    (
                        item.key,
                        item.kind,
                        item.prompt,
                        item.reference,
                        item.text,
                        item.family,
                        item.attack,
                        json.dumps(list(item.reasons), ensure_ascii=False),
                        json.dumps(item.detail, ensure_ascii=False),
                        run_id,
                        checkpoint,
                        _now(),
                    ),
                )
                (finding_id,) = db.execute(
                    "SELECT id FROM findings WHERE key = ?", (item.key,)
                ).fetchone()
                ids.append(finding_id)
                db.add_sighting(
                    finding_id,
                    run_id,
                    checkpoint,
                    "search",
                    item.score,
                    item.reference_score,
                    True,
                )
        return ids

    def record_replay(
        self,
        sightings: Iterable[Sighting],
        *,
        run_id: str,
        checkpoint: str,
        source: str = "replay",
    ) -> None:
        """Replay sightings: ``replay`` before a search, ``transfer`` across a run's peers."""
        with self.transaction() as db:
            for s in sightings:
                db.add_sighting(
                    s.finding_id,
                    run_id,
                    checkpoint,
                    source,
                    s.score,
                    s.reference_score,
                    s.is_open,
                )

    # ------------------------------------------------------------------ reads
    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._errors("read"):
            cursor = self._db.execute(sql, args)
            columns = [c[0] for c in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def max_finding_id(self) -> int:
        return int(self._query("SELECT COALESCE(MAX(id), 0) AS m FROM findings")[0]["m"])

    def findings(
        self,
        *,
        kind: str | None = "finding",
        family: str | None = None,
        up_to_id: int | None = None,
        ids: Sequence[int] | None = None,
    ) -> list[dict[str, Any]]:
        """Findings as dicts (reasons and detail decoded), oldest first."""
        where, args = [], []
        if kind is not None:
            where.append("kind = ?")
            args.append(kind)
        if family is not None:
            where.append("family = ?")
            args.append(family)
        if up_to_id is not None:
            where.append("id <= ?")
            args.append(up_to_id)
        if ids is not None:
            where.append(f"id IN ({', '.join('?' * len(ids))})")
            args.extend(ids)
        sql = "SELECT * FROM findings"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._query(sql + " ORDER BY id", args)
        for row in rows:
            row["reasons"] = json.loads(row["reasons"])
            row["detail"] = json.loads(row["detail"])
        return rows

    def finding(self, finding_id: int) -> dict[str, Any]:
        rows = self.findings(kind=None, ids=[finding_id])
        if not rows:
            raise HarnessError(f"no finding with id {finding_id} in {self.path}")
        return rows[0]

    def previous_status(self, finding_ids: Sequence[int], *, before_run: str) -> dict[int, bool]:
        """Each finding's open/closed state at its latest sighting by an earlier run.

        Transfer sightings (peer checkpoints of one run) are not a timeline and are
        skipped; search and replay sightings are.
        """
        wanted = set(finding_ids)
        status: dict[int, bool] = {}
        rows = self._query(
            "SELECT finding_id, is_open FROM sightings "
            "WHERE run_id != ? AND source != 'transfer' ORDER BY id",
            (before_run,),
        )
        for row in rows:
            if row["finding_id"] in wanted:
                status[row["finding_id"]] = bool(row["is_open"])
        return status

    def sightings(
        self, *, finding_id: int | None = None, run_id: str | None = None
    ) -> list[dict[str, Any]]:
        where, args = [], []
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
        return self._query(sql + " ORDER BY s.id", args)

    def summary(self) -> list[dict[str, Any]]:
        """One row per finding with its sighting counts: what ``rmh findings list`` shows."""
        return self._query(
            """
            SELECT f.id, f.kind, f.family, f.attack, f.prompt, f.text,
                   COUNT(s.id) AS sightings,
                   COUNT(DISTINCT s.checkpoint) AS checkpoints,
                   MAX(s.score - s.reference_score) AS best_margin,
                   f.first_run, f.created_at
            FROM findings f LEFT JOIN sightings s ON s.finding_id = f.id
            GROUP BY f.id ORDER BY f.id
            """
        )

    def integrity_ok(self) -> bool:
        return self._query("PRAGMA integrity_check")[0]["integrity_check"] == "ok"


class _Tx:
    """The write handle inside ``FindingStore.transaction``."""

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
    ) -> None:
        self._db.execute(
            "INSERT INTO sightings (finding_id, run_id, checkpoint, source, score, "
            "reference_score, is_open, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (finding_id, run_id, checkpoint, source) DO NOTHING",
            (finding_id, run_id, checkpoint, source, score, reference_score, int(is_open), _now()),
        )
