"""The run log: what a run did, one typed entry per line, append-only and fsync'd.

- ``record``: typed JSON records (to and from JSON) and the log version.
- ``run_options``: ``RunOptions``, how a run is set up besides its suite and checkpoints
  (store, batch size, replay mode), recorded in the ``init`` entry's config.
- ``entries``: one frozen dataclass per entry type (``init``, ``clean``, ``replay``,
  ``attempt``, ``finding``, ``instability``, ``error``, ``completion``) and the log
  version; the fields are documented in ``docs/run-log.md``.
- ``log``: ``RunLog`` appends entries; ``read_log`` reads them back typed.
- ``journal``: ``Journal``, a log and the state folded from it, written together (the
  run's recorder and the whack-a-mole experiment are journals).
- ``metrics``: what the entries add up to (completion totals, ASR per family with its
  interval, the transfer matrix); imported on its own, it needs numpy, scipy and pandas.

    log = read_log("runs/rc1/log.jsonl")
    for finding in log.of_type(FindingEntry):
        print(finding.family, finding.margin)
"""

from harness.runlog.entries import (
    ENTRY_TYPES,
    AttemptEntry,
    CleanEntry,
    CompletionEntry,
    Entry,
    ErrorEntry,
    FindingEntry,
    InitEntry,
    InstabilityEntry,
    JudgesValidationEntry,
    ReplayEntry,
)
from harness.runlog.log import LOG_NAME, LogContents, RunLog, read_log
from harness.runlog.record import LOG_VERSION, LogVersion
from harness.runlog.run_options import REPLAY_MODES, ReplayMode, RunOptions

__all__ = [
    "ENTRY_TYPES",
    "LOG_NAME",
    "LOG_VERSION",
    "REPLAY_MODES",
    "AttemptEntry",
    "CleanEntry",
    "CompletionEntry",
    "Entry",
    "ErrorEntry",
    "FindingEntry",
    "InitEntry",
    "InstabilityEntry",
    "JudgesValidationEntry",
    "LogContents",
    "LogVersion",
    "ReplayEntry",
    "ReplayMode",
    "RunLog",
    "RunOptions",
    "read_log",
]
