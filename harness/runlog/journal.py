"""A journal: an append-only typed log and the state folded from it, kept in step.

A run and an experiment both decide what is left to do from their log alone (a resume
rebuilds the state from the lines), so the state a process consults while it works must
be exactly what its log holds: an entry is folded into the state only once it is
durably written, and every entry written is folded in. ``Journal.write`` is that rule,
once, for the run's recorder (``harness.runner.recorder``) and the whack-a-mole
experiment (``harness.experiments.rounds``).

    journal = Journal(RunLog.create(path), RunState())
    journal.write(init)      # in the log (fsync'd), then in journal.state
"""

from __future__ import annotations

from pathlib import Path
from typing import Generic, Protocol, TypeVar

from harness.runlog.entries import Entry
from harness.runlog.log import RunLog

E = TypeVar("E", bound=Entry)


class FoldsEntries(Protocol):
    """A state rebuilt from a log's entries, one ``observe`` per entry in log order."""

    def observe(self, entry: Entry) -> None: ...


S = TypeVar("S", bound=FoldsEntries)


class Journal(Generic[S]):
    """Writes entries to ``log`` and folds each into ``state`` once it is durable."""

    def __init__(self, log: RunLog, state: S) -> None:
        self.log = log
        self.state = state

    def write(self, entry: E) -> E:
        """Log one entry (whole, fsync'd), then fold it into the state."""
        self.log.write(entry)
        self.state.observe(entry)
        return entry

    def moved(self, folder: Path) -> None:
        """The folder holding the log was renamed to ``folder`` (a staged start placed)."""
        self.log.moved(folder / self.log.path.name)

    def close(self) -> None:
        self.log.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(log={self.log!r}, state={self.state!r})"
