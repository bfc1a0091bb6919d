"""The store's schema, as the ordered list of migrations that builds it.

The schema version lives in ``PRAGMA user_version``; ``MIGRATIONS[i]`` upgrades version
``i`` to ``i + 1`` and runs in the same transaction as the version bump. A store written
by a newer version of this code (a higher ``user_version``) is refused, never guessed at.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1: findings, their sightings, and the runs that made them.
    """
    CREATE TABLE findings (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('finding', 'instability')),
        prompt TEXT NOT NULL,
        reference TEXT NOT NULL,
        text TEXT NOT NULL,
        family TEXT NOT NULL,
        attack TEXT NOT NULL,
        reasons TEXT NOT NULL,
        detail TEXT NOT NULL,
        first_run TEXT NOT NULL,
        first_checkpoint TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        folder TEXT NOT NULL,
        suite TEXT NOT NULL,
        started_at TEXT NOT NULL
    );
    CREATE TABLE sightings (
        id INTEGER PRIMARY KEY,
        finding_id INTEGER NOT NULL REFERENCES findings(id),
        run_id TEXT NOT NULL,
        checkpoint TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('search', 'replay', 'transfer')),
        score REAL NOT NULL,
        reference_score REAL NOT NULL,
        is_open INTEGER NOT NULL,
        seen_at TEXT NOT NULL,
        UNIQUE (finding_id, run_id, checkpoint, source)
    );
    CREATE INDEX sightings_by_checkpoint ON sightings (checkpoint, finding_id);
    CREATE INDEX findings_by_family ON findings (family);
    """,
    # 1 -> 2: a human-readable label per checkpoint fingerprint (path or name).
    """
    CREATE TABLE checkpoints (
        fingerprint TEXT PRIMARY KEY,
        label TEXT NOT NULL
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
