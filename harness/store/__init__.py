"""The findings store: one SQLite file that is the project's exploit library (``store``),
its schema and migrations (``schema``), the records runs hand it (``records``), findings
clustered into exploits (``exploits``, pure) and the SQL that keeps those tables (``library``)."""

from harness.store.exploits import (
    THRESHOLD,
    Exploit,
    ExploitIndex,
    Member,
    Novelty,
    cluster,
    novelty,
)
from harness.store.records import Sighting, finding_key
from harness.store.schema import MIGRATIONS, SCHEMA_VERSION
from harness.store.store import DEFAULT_TIMEOUT, FindingStore

__all__ = [
    "DEFAULT_TIMEOUT",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "THRESHOLD",
    "Exploit",
    "ExploitIndex",
    "FindingStore",
    "Member",
    "Novelty",
    "Sighting",
    "cluster",
    "finding_key",
    "novelty",
]
