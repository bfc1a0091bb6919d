"""The findings store: one SQLite file that is the project's exploit library (``store``),
its schema and migrations (``schema``), and the records runs hand it (``records``)."""

from harness.store.records import NewFinding, Sighting, finding_key
from harness.store.schema import MIGRATIONS, SCHEMA_VERSION
from harness.store.store import DEFAULT_TIMEOUT, FindingStore

__all__ = [
    "DEFAULT_TIMEOUT",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "FindingStore",
    "NewFinding",
    "Sighting",
    "finding_key",
]
