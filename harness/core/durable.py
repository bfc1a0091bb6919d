"""Crash points: the durable steps a test can stop the process at, one by one.

Everything the harness keeps across a kill is made of a few kinds of durable step: a
folder created or renamed into place, a log line appended (and fsync'd), a store
transaction committed, a file renamed into place. Each of those calls ``crash_point``
right after the step is durable, naming it. A run that is killed between two steps must
resume (or, if it never started, start again) to exactly what an uninterrupted run
reaches; the tests prove that by killing at every step in turn, the way SQLite and
other trusted stores test themselves:

- ``RMH_CRASH_LOG=FILE``: append one line per step to ``FILE``, ``N<TAB>label``, so a
  test learns how many steps a run takes and what they are.
- ``RMH_CRASH_AT=N``: right after the ``N``-th step (counted from 1 in this process),
  exit at once with ``os._exit(CRASH_EXIT)``: no ``finally``, no flush, no cleanup, as
  SIGKILL would.

The variables are read once per process, at the first step (a forked child reads them
again: its steps are its own). Unset, a step costs a call and one comparison.

    write_the_thing()
    crash_point("store commit")
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from harness.core.errors import HarnessError

CRASH_AT = "RMH_CRASH_AT"
CRASH_LOG = "RMH_CRASH_LOG"
#: The exit status of a process stopped at its crash point (a test tells it from errors).
CRASH_EXIT = 86


@dataclass
class _Plan:
    """What this process does at its durable steps, read from the environment."""

    at: int | None = None  # exit right after this step
    log: Path | None = None  # where each step is recorded
    steps: int = 0  # steps taken so far

    @property
    def active(self) -> bool:
        return self.at is not None or self.log is not None


_plan: _Plan | None = None


def crash_point(label: str) -> None:
    """Mark one durable step as done (module doc): record it, or stop here, if asked."""
    plan = _plan if _plan is not None else _read_plan()
    if not plan.active:
        return
    plan.steps += 1
    if plan.log is not None:
        _record(plan.log, f"{plan.steps}\t{label}\n")
    if plan.steps == plan.at:
        os._exit(CRASH_EXIT)


def _read_plan() -> _Plan:
    global _plan
    at = os.environ.get(CRASH_AT, "").strip()
    log = os.environ.get(CRASH_LOG, "").strip()
    if at and not (at.isdigit() and int(at) > 0):
        raise HarnessError(f"{CRASH_AT} must be a step number (1, 2, ...), not {at!r}")
    _plan = _Plan(at=int(at) if at else None, log=Path(log) if log else None)
    return _plan


def _record(path: Path, line: str) -> None:
    """One unbuffered append: it is in the file even if the process exits right after."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(handle, line.encode("utf-8"))
    finally:
        os.close(handle)


def _forget_plan() -> None:
    global _plan
    _plan = None


os.register_at_fork(after_in_child=_forget_plan)
