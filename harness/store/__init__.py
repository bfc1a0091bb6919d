"""The findings store: one SQLite file that is the project's exploit library (``store``),
its schema and migrations (``schema``), the records it takes and returns (``records``) and
the SQL that keeps its exploit tables (``library``), the exploits as a search's starting
points (``seeds``); how findings cluster into exploits is
``harness.core.exploits`` (pure, shared with the run log's readers)."""

from harness.store.records import (
    ExploitDetail,
    Recorded,
    Sighting,
    StoredExploit,
    StoredFinding,
    finding_key,
)
from harness.store.schema import MIGRATIONS, SCHEMA_VERSION
from harness.store.seeds import SeedLibrary
from harness.store.store import DEFAULT_TIMEOUT, FindingStore

__all__ = [
    "DEFAULT_TIMEOUT",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "ExploitDetail",
    "FindingStore",
    "Recorded",
    "SeedLibrary",
    "Sighting",
    "StoredExploit",
    "StoredFinding",
    "finding_key",
]
