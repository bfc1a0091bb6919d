"""Writing and reading the run log: an append-only JSONL file, one typed entry per line.

It is the record a report or gate is built from, and the checkpoint a killed run
resumes from, so every line is written whole, flushed and fsync'd before ``write``
returns: whatever the log holds happened.

A kill can cut the last line short. ``read_log`` returns the complete entries and says
whether the tail was cut; ``RunLog.append_to`` trims that partial line before writing,
so the file stays one JSON object per line. A line that is not UTF-8 JSON, not an object,
has no type, or does not fit its type's fields is listed in ``bad_lines`` and left out;
readers that build on the whole log (reports, gates, resume) pass ``strict=True``, which
makes such a line a one-line error naming the file, the line and what is wrong.

An entry type this version does not know is an error, unless the log says it was written
by a newer *minor* version of the same major log version (which only adds types and
fields): then those lines are skipped and counted in ``LogContents.skipped``. A log of
a newer *major* version is refused. Logs of older versions are upgraded as they are read
(``Record.upgrade``).

The machinery is not the run log's alone: a ``LogFormat`` names a log's entry types and
version, and ``read_log(path, format=...)`` and ``RunLog`` serve any typed log built on
``Entry`` (the whack-a-mole experiment's ``experiment.jsonl`` is one), with the same
guarantees.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from harness.core.durable import crash_point
from harness.core.errors import HarnessError
from harness.runlog.entries import ENTRY_TYPES, AttemptEntry, CompletionEntry, Entry, InitEntry
from harness.runlog.record import CURRENT, FIRST_VERSION, LogVersion

LOG_NAME = "log.jsonl"

E = TypeVar("E", bound=Entry)


@dataclass(frozen=True)
class LogFormat:
    """What a typed JSONL log holds: its name (in messages), entry types and version.

    The version is read from the ``log_version`` field of the first entry of type
    ``init_type`` (none: ``FIRST_VERSION``; no such entry: ``current``).
    """

    name: str
    types: Mapping[str, type[Entry]]
    current: LogVersion
    init_type: str = "init"


RUN_LOG = LogFormat("run log", ENTRY_TYPES, CURRENT)


@dataclass
class LogContents:
    """The complete entries of a run log, in order, and what reading it found."""

    entries: list[Entry]
    truncated: bool = False  # the last line was cut short (the run was killed mid-write)
    bad_lines: list[int] = field(default_factory=list)
    version: LogVersion = CURRENT  # the log version the run was written with
    skipped: dict[str, int] = field(default_factory=dict)  # newer-minor type -> lines

    def of_type(self, kind: type[E]) -> list[E]:
        return [e for e in self.entries if isinstance(e, kind)]

    @property
    def init(self) -> InitEntry | None:
        inits = self.of_type(InitEntry)
        return inits[0] if inits else None

    @property
    def completion(self) -> CompletionEntry | None:
        done = self.of_type(CompletionEntry)
        return done[-1] if done else None

    @property
    def complete(self) -> bool:
        return self.completion is not None

    def attack_attempts(self) -> list[AttemptEntry]:
        """``attempt`` entries of attacks, without the instability probe's."""
        return [e for e in self.of_type(AttemptEntry) if not e.is_probe]


def read_log(path: str | Path, *, strict: bool = False, format: LogFormat = RUN_LOG) -> LogContents:
    """Every complete entry of a run log (or another ``format``), in order, typed.

    ``strict``: a damaged line (anywhere but a cut last line) is a ``HarnessError`` naming
    the file, the line and what is wrong, instead of a number in ``bad_lines``.
    """
    path = Path(path)
    name = format.name
    if not path.is_file():
        raise HarnessError(f"no {name} at {path}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise HarnessError(f"cannot read {name} {path}: {exc.strerror or exc}") from None
    lines = raw.split(b"\n")
    truncated = bool(lines and lines[-1])  # no trailing newline: the last write was cut
    if truncated:
        lines = lines[:-1]
    objects: list[tuple[int, dict[str, Any]]] = []
    bad: list[int] = []

    def damaged(number: int, problem: str) -> None:
        if strict:
            raise HarnessError(
                f"{name} {path}, line {number}: {problem}; the log is damaged "
                "(restore it from a copy, or start the run again in a new folder)"
            )
        bad.append(number)

    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:  # a UTF-8 byte-order mark and CRLF line ends are harmless
            data = json.loads(line.decode("utf-8-sig" if number == 1 else "utf-8"))
        except UnicodeDecodeError as exc:
            damaged(number, f"not UTF-8 text (byte {exc.start})")
            continue
        except json.JSONDecodeError as exc:
            damaged(number, f"not JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(data, dict):
            damaged(number, f"a JSON {type(data).__name__}, not an entry object")
        elif not isinstance(data.get("type"), str):
            damaged(number, "an object without an entry type")
        else:
            objects.append((number, data))
    version = _version(path, objects, format)
    current = format.current
    entries: list[Entry] = []
    skipped: Counter[str] = Counter()
    for number, data in objects:
        kind = data["type"]
        cls = format.types.get(kind)
        if cls is None:
            if version.major == current.major and version > current:
                skipped[kind] += 1
                continue
            raise HarnessError(
                f"{path}, line {number}: unknown {name.replace(' ', '-')} entry type {kind!r} "
                f"(log version {version})"
            )
        try:
            entries.append(cls.from_json(data, version))
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            detail = (str(exc).splitlines() or [type(exc).__name__])[0][:120]
            damaged(number, f"a {kind!r} entry that does not fit its fields ({detail})")
    return LogContents(entries, truncated, sorted(bad), version, dict(sorted(skipped.items())))


def _version(
    path: Path, objects: list[tuple[int, dict[str, Any]]], format: LogFormat
) -> LogVersion:
    """The log version its ``init`` entry records (logs from before versions: 1.0)."""
    init = next((data for _, data in objects if data["type"] == format.init_type), None)
    if init is None:
        return format.current
    text = init.get("log_version", FIRST_VERSION)
    try:
        version = LogVersion.parse(text)
    except ValueError:
        raise HarnessError(f"{path}: the init entry has a bad log_version {text!r}") from None
    if version.major > format.current.major:
        raise HarnessError(
            f"{path} is {format.name.replace(' ', '-')} version {version}, newer than this "
            f"rm-harness reads ({format.current}); upgrade rm-harness to read it"
        )
    return version


class RunLog:
    """Appends entries; each line is written whole, flushed and fsync'd before returning.

    Any ``Entry`` of any ``LogFormat``: the experiment log is written with it too.
    """

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

    def write(self, entry: E) -> E:
        """Append ``entry`` as one line; NaN or infinity is a ``ValueError`` (not JSON)."""
        if not isinstance(entry, Entry):
            raise TypeError(f"a run-log entry must be an Entry, not {type(entry).__name__}")
        line = json.dumps(entry.to_json(), ensure_ascii=False, allow_nan=False, default=_jsonable)
        self._handle.write(line.encode("utf-8") + b"\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())
        crash_point(f"log append: {entry.type}")
        return entry

    def moved(self, path: str | Path) -> None:
        """The file was renamed to ``path`` (its folder was placed): the open handle
        writes on, to the same file; only its name changed."""
        self.path = Path(path)

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> RunLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RunLog({str(self.path)!r})"


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
