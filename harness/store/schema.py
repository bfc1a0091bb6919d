"""The store's schema, as the ordered list of migrations that builds it.

The schema version lives in ``PRAGMA user_version``; ``MIGRATIONS[i]`` upgrades version
``i`` to ``i + 1`` and runs in the same transaction as the version bump. A step is SQL,
or a function of the open transaction (a ``library.Tx``) when the upgrade needs Python
too: version 3 signs and clusters the findings already stored (``library.recluster``).
A store written by a newer version of this code (a higher ``user_version``) is refused,
never guessed at.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.store.library import Tx, recluster

Step = str | Callable[[Tx], None]

# v3. ``signatures``: each distinct (kind, signature) once, with its LSH band keys and its
# exploit (all findings of one signature are in one exploit). ``members``: every finding's
# signature, best search margin and latest search time. ``exploits``: one summary row per
# exploit, its id the smallest finding id among its members. ``exploit_merges``: absorbed
# id -> surviving id. ``clustering``: the parameters the rows were made with. The view
# ``finding_exploits`` is the finding -> exploit link.
V3 = """
    CREATE TABLE signatures (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        digest TEXT NOT NULL,
        shingles TEXT NOT NULL,
        bands BLOB NOT NULL,
        exploit_id INTEGER NOT NULL,
        UNIQUE (kind, digest)
    );
    CREATE INDEX signatures_by_exploit ON signatures (exploit_id);
    CREATE TABLE members (
        finding_id INTEGER PRIMARY KEY REFERENCES findings(id),
        signature_id INTEGER NOT NULL REFERENCES signatures(id),
        margin REAL NOT NULL,
        last_found TEXT NOT NULL
    );
    CREATE INDEX members_by_signature ON members (signature_id);
    CREATE TABLE exploits (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        representative INTEGER NOT NULL REFERENCES findings(id),
        size INTEGER NOT NULL,
        best_margin REAL NOT NULL,
        families TEXT NOT NULL,
        attacks TEXT NOT NULL,
        prompts TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
    );
    CREATE TABLE exploit_merges (
        absorbed INTEGER PRIMARY KEY,
        into_id INTEGER NOT NULL
    );
    CREATE TABLE clustering (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE VIEW finding_exploits AS
        SELECT m.finding_id, s.exploit_id
        FROM members m JOIN signatures s ON s.id = m.signature_id
"""


def _to_v3(db: Tx) -> None:
    db.executescript_in_tx(V3)
    recluster(db)


MIGRATIONS: tuple[Step, ...] = (
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
    # 2 -> 3: signatures and exploits, the stored findings signed and clustered.
    _to_v3,
)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: Tx) -> None:
    """Bring the store to ``SCHEMA_VERSION``, inside the caller's write transaction."""
    version = db.execute("PRAGMA user_version").fetchone()[0]  # read under the lock
    for target in range(version, SCHEMA_VERSION):
        step = MIGRATIONS[target]
        if isinstance(step, str):
            db.executescript_in_tx(step)
        else:
            step(db)
        db.execute(f"PRAGMA user_version = {target + 1}")
