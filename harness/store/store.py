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

Exploits (schema v3): every finding is signed (``harness.core.signature``) and joins, as
it is recorded, the exploit of the signatures it is within the threshold of; a finding
that bridges two exploits merges them (``harness.core.exploits`` says why and how ids
behave). The clustering graph is kept in memory per open store, built from the
``signatures`` table on first use and rebuilt when another connection has written
since (``PRAGMA data_version``), so two runs writing one store stay exact.

The schema and its migrations are in ``schema``; the records a run hands in and gets back,
in ``records``; the write handle and the exploit tables' SQL, in ``library``; the read
queries, in ``queries``; what replay scores (one representative per exploit and prompt, as
of a horizon), in ``horizon``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness.core.atomic import replacing
from harness.core.durable import crash_point
from harness.core.errors import HarnessError
from harness.core.exploits import CLUSTERING, Facts, SignatureGraph
from harness.core.finding import Finding
from harness.core.signature import band_keys
from harness.store import horizon, seeds
from harness.store.library import (
    Tx,
    load_graph,
    now,
    recluster,
    record_finding,
    refresh_exploits,
)
from harness.store.queries import (
    CLUSTERING_SQL,
    MEMBERS_SQL,
    SUMMARY_SQL,
    exploits_sql,
    findings_sql,
    sightings_sql,
)
from harness.store.records import (
    ExploitDetail,
    Recorded,
    Sighting,
    StoredExploit,
    StoredFinding,
    exploit_summary,
    stored_finding,
)
from harness.store.schema import SCHEMA_VERSION, migrate

DEFAULT_TIMEOUT = 30.0


class FindingStore:
    """A SQLite findings store. Open with ``FindingStore.open(path)``; use as a context manager."""

    def __init__(self, path: Path, connection: sqlite3.Connection, timeout: float) -> None:
        self.path = path
        self._db = connection
        self._timeout = timeout
        self._graph: SignatureGraph | None = None
        self._graph_version = -1

    # ------------------------------------------------------------------ open
    @classmethod
    def open(cls, path: str | Path, *, timeout: float = DEFAULT_TIMEOUT) -> FindingStore:
        """Open (creating and migrating as needed) the store at ``path``."""
        path = Path(path)
        if path.is_dir():
            raise HarnessError(f"store {path} is a directory, not a SQLite file")
        wal = Path(f"{path}-wal")
        if wal.is_dir():
            raise HarnessError(
                f"store {path}: its write-ahead log {wal.name} is a directory; move it away"
            )
        if path.exists() and path.stat().st_size > 0:
            try:
                with open(path, "rb") as handle:
                    header = handle.read(16)
            except OSError as exc:
                raise HarnessError(f"cannot read store {path}: {exc.strerror or exc}") from None
            if header != b"SQLite format 3\x00":
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
            with self.transaction() as db:
                migrate(db)
        if self._query(CLUSTERING_SQL) != [{"value": CLUSTERING}]:
            with self.transaction() as db:  # made with other parameters: cluster anew
                if db.execute(CLUSTERING_SQL).fetchall() != [(CLUSTERING,)]:  # under lock
                    recluster(db)

    @property
    def schema_version(self) -> int:
        with self._errors("read"):
            return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    def copy_to(self, target: str | Path) -> Path:
        """A consistent copy of the store at ``target``, returned.

        SQLite's backup API, so a write by another connection is copied whole or not at
        all; the copy is made beside ``target`` and renamed into place, so ``target`` is
        never a half-written file (a copy killed midway leaves only the temporary file,
        which the next copy replaces).
        """
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        with (
            replacing(target, temporary_name=f".{target.name}.copy") as temp,
            self._errors("copy"),
        ):
            copy = sqlite3.connect(temp)
            try:
                self._db.backup(copy)
            finally:
                copy.close()
        return target

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
        except UnicodeDecodeError as exc:  # damaged text in its schema or rows
            raise HarnessError(
                f"store {self.path} is not a usable SQLite database: it holds text that is "
                f"not UTF-8 (byte {exc.start}); is the file damaged?"
            ) from None

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One write transaction, taken up front (``BEGIN IMMEDIATE``) so writers queue."""
        with self._errors("write"):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        crash_point("store commit")

    # ----------------------------------------------------------------- writes
    def register_run(self, run_id: str, folder: str, suite: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO runs (id, folder, suite, started_at) VALUES (?, ?, ?, ?)",
                (run_id, folder, suite, now()),
            )

    def label_checkpoint(self, fingerprint: str, label: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO checkpoints (fingerprint, label) VALUES (?, ?) "
                "ON CONFLICT (fingerprint) DO UPDATE SET label = excluded.label",
                (fingerprint, label),
            )

    def record(
        self, findings: Sequence[Finding], *, run_id: str, checkpoint: str
    ) -> list[Recorded]:
        """Add findings (deduplicated) and one search sighting each; returns what each
        became: its id, its exploit, and the exploits it merged (``Recorded``).

        A new finding joins (or merges) exploits; a finding found again by a search
        updates its best margin. Idempotent: recording the same findings for the same
        run and checkpoint again (a resumed run redoing an unfinished attempt) adds nothing.
        An exploit id is as of this finding's turn: a later finding of the same call may
        merge it into another, and says so in its own ``merged`` (every id merged into its
        exploit so far).
        """
        signatures = [item.signature for item in findings]  # unlocked
        bands = band_keys([sig.shingles for sig in signatures])
        recorded: list[Recorded] = []
        touched: set[int] = set()
        with self.transaction() as db:
            try:
                graph = self._synced_graph(db)
                for item, sig, row in zip(findings, signatures, bands, strict=True):
                    stored, changed = record_finding(db, graph, item, sig, row, run_id, checkpoint)
                    recorded.append(stored)
                    if changed:
                        touched.add(stored.finding_id)
                refresh_exploits(db, touched)
            except BaseException:
                self._graph = None  # the transaction rolls back: so must the graph
                raise
        return recorded

    def _synced_graph(self, db: Tx) -> SignatureGraph:
        """The clustering graph, rebuilt if another connection has written since we last did."""
        version = db.execute("PRAGMA data_version").fetchone()[0]
        if self._graph is None or version != self._graph_version:
            self._graph, self._graph_version = load_graph(db), version
        return self._graph

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

    def max_sighting_id(self) -> int:
        return int(self._query("SELECT COALESCE(MAX(id), 0) AS m FROM sightings")[0]["m"])

    def findings(
        self,
        *,
        kind: str | None = "finding",
        family: str | None = None,
        up_to_id: int | None = None,
        ids: Sequence[int] | None = None,
    ) -> list[StoredFinding]:
        """Stored findings, oldest first, each with its exploit now and its best margin."""
        sql, args = findings_sql(kind=kind, family=family, up_to_id=up_to_id, ids=ids)
        return [stored_finding(row) for row in self._query(sql, args)]

    def finding(self, finding_id: int) -> StoredFinding:
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
        sql, args = sightings_sql(finding_id=finding_id, run_id=run_id)
        return self._query(sql, args)

    def exploits(
        self,
        *,
        kind: str | None = "finding",
        family: str | None = None,
        prompt: str | None = None,
        checkpoint: str | None = None,
        status: str | None = None,
    ) -> list[StoredExploit]:
        """Exploits by id, with the representative's ``text``.

        ``family``/``prompt``: a member has it. ``checkpoint`` (fingerprint or label): a
        member was sighted on it, and ``status`` is then "open" if some member's latest
        sighting there is open (replay scores one representative per prompt), "closed" if
        none is, None if none was sighted there; ``status="open"``/``"closed"`` keeps those.
        """
        sql, args = exploits_sql(kind, family, prompt, checkpoint, status)
        return [exploit_summary(row) for row in self._query(sql, args)]

    def exploit(self, exploit_id: int) -> ExploitDetail:
        """One exploit with its members (oldest first); an absorbed id finds its survivor."""
        merged = self._query("SELECT into_id FROM exploit_merges WHERE absorbed = ?", (exploit_id,))
        wanted = merged[0]["into_id"] if merged else exploit_id
        rows = self._query("SELECT e.*, f.text FROM exploits e JOIN findings f "
                           "ON f.id = e.representative WHERE e.id = ?", (wanted,))  # fmt: skip
        if not rows:
            raise HarnessError(f"no exploit with id {exploit_id} in {self.path}")
        absorbed = self._query("SELECT absorbed FROM exploit_merges WHERE into_id = ?", (wanted,))
        return ExploitDetail(
            summary=exploit_summary(rows[0]),
            members=tuple(Facts(**row) for row in self._query(MEMBERS_SQL, (wanted,))),
            absorbed=tuple(sorted(row["absorbed"] for row in absorbed)),
        )

    def representatives(
        self, *, kind: str | None = "finding", up_to_id: int | None = None
    ) -> list[StoredFinding]:
        """One finding per exploit and prompt, what replay scores, by exploit id: its
        ``exploit_id`` and the ``margin`` it was chosen by are as of ``up_to_id`` (a replay
        horizon) where given: the store as it stood then, whatever was added since
        (``horizon``)."""
        with self._errors("read"):
            return [
                stored_finding(row) for row in horizon.representatives(self._db, kind, up_to_id)
            ]

    def library(
        self,
        *,
        exclude_prompts: Collection[str],
        limit: int,
        up_to_id: int | None = None,
        sightings_up_to: int | None = None,
    ) -> seeds.SeedLibrary:
        """The library's seeds for a search on ``exclude_prompts`` (``seeds.library``)."""
        with self._errors("read"):
            return seeds.library(self._db, exclude_prompts=exclude_prompts, limit=limit,
                                 up_to_id=up_to_id, sightings_up_to=sightings_up_to)  # fmt: skip

    def summary(self) -> list[dict[str, Any]]:
        """One row per finding with its sighting counts: what ``rmh findings list`` shows."""
        return self._query(SUMMARY_SQL)

    def integrity_ok(self) -> bool:
        return self._query("PRAGMA integrity_check")[0]["integrity_check"] == "ok"
