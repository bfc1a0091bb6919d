"""The run log: an append-only JSONL file, one typed entry per line, flushed as it happens.

It is the record a report or gate is built from, and the checkpoint a killed run resumes
from. Every entry has ``type`` and ``time`` (UTC, ISO 8601); the types and their fields
are listed in ``ENTRY_TYPES`` and documented in ``docs/run-log.md``.

A kill can cut the last line short. ``read_log`` returns the complete entries and says
whether the tail was cut; ``RunLog.append_to`` trims that partial line before writing,
so the file stays one JSON object per line.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from harness.core.errors import HarnessError

LOG_NAME = "log.jsonl"

ENTRY_TYPES: dict[str, str] = {
    "init": "run id, suite (name and TOML text), checkpoints (spec, fingerprint, device, "
    "formatting), config, seeds, store path, package versions, gold-judge margin, "
    "replay horizon",
    "clean": "held-out pairwise accuracy and chance rate of one checkpoint",
    "replay": "one stored finding re-scored on a checkpoint: still open or closed",
    "attempt": "one attack on one prompt finished: best score, queries, time, findings",
    "finding": "a finding, written to the store before this line",
    "instability": "a meaning-preserving edit that flipped a preference pair",
    "error": "an attack crashed on one prompt (the run went on) or a stage failed",
    "completion": "the run finished: totals and wall time",
}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass
class LogContents:
    entries: list[dict[str, Any]]
    truncated: bool  # the last line was cut short (the run was killed mid-write)
    bad_lines: list[int]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.entries if e.get("type") == kind]

    @property
    def init(self) -> dict[str, Any] | None:
        inits = self.of_type("init")
        return inits[0] if inits else None

    @property
    def complete(self) -> bool:
        return bool(self.of_type("completion"))

    def attack_attempts(self) -> list[dict[str, Any]]:
        """``attempt`` entries of attacks, without the instability probe's."""
        return [e for e in self.of_type("attempt") if not is_probe_attempt(e)]


def is_probe_attempt(entry: dict[str, Any]) -> bool:
    """The instability probe logs one ``attempt`` per checkpoint, unit ``N/instability``."""
    return str(entry.get("unit", "")).endswith("/instability")


def replay_status(entry: dict[str, Any]) -> str:
    """``open``, ``closed``, or ``reopened`` (closed at its last sighting, open again)."""
    if entry["open"]:
        return "reopened" if entry.get("was_open") is False else "open"
    return "closed"


def read_log(path: str | Path) -> LogContents:
    """Every complete entry of a run log, in order."""
    path = Path(path)
    if not path.is_file():
        raise HarnessError(f"no run log at {path}")
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    truncated = bool(lines and lines[-1])  # no trailing newline: the last write was cut
    if truncated:
        lines = lines[:-1]
    entries, bad = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            bad.append(number)
            continue
        if isinstance(entry, dict) and entry.get("type") in ENTRY_TYPES:
            entries.append(entry)
        else:
            bad.append(number)
    return LogContents(entries, truncated, bad)


class RunLog:
    """Appends entries; each line is written whole, flushed and fsync'd before returning."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle = open(path, "ab")  # noqa: SIM115 - held open for the whole run

    @classmethod
    def create(cls, path: str | Path) -> RunLog:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
        return cls(path)

    @classmethod
    def append_to(cls, path: str | Path) -> RunLog:
        """Reopen a log to resume a run, trimming a line that a kill cut short."""
        path = Path(path)
        raw = path.read_bytes()
        if raw and not raw.endswith(b"\n"):
            with open(path, "r+b") as handle:
                handle.truncate(raw.rfind(b"\n") + 1)
        return cls(path)

    def write(self, kind: str, **fields: Any) -> dict[str, Any]:
        if kind not in ENTRY_TYPES:
            raise ValueError(f"unknown run-log entry type {kind!r}")
        entry = {"type": kind, "time": _now(), **fields}
        line = json.dumps(entry, ensure_ascii=False, allow_nan=False, default=_jsonable)
        self._handle.write(line.encode("utf-8") + b"\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())
        return entry

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> RunLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
