"""What a kind of result folder is: how it is recognised, read, reported and gated.

Every verb that leaves a result leaves a folder of one kind: ``rmh run`` a run folder
(``log.jsonl``), ``rmh rounds`` an experiment folder (``experiment.jsonl``), ``rmh
sweep`` a sweep folder (``sweep.json``). ``rmh report`` and ``rmh gate`` take any of
them; a ``ResultKind`` tells them, for its kind, everything that differs:

- ``detect``: whether a folder is of this kind (by default: it holds ``marker``);
- ``context``: the folder read once, for every renderer and for the gate;
- ``renderers``: the report's files (``reports.report_files.FileRenderer`` by name);
- ``report_lines`` and ``check_complete``: what ``rmh report`` prints after writing,
  and the refusal (exit 2) of a partial result, raised once the report is written;
- ``gate``: the release decision (lines and exit code), for a kind that has one;
- ``report_options`` and ``gate_options``: which of ``--baseline``, ``--policy`` and
  ``--allow-suite-mismatch`` mean something for it (any other is refused, by name).

Kinds are plugins of ``RESULT_KINDS`` (a ``harness.core.registry.Registry``), so a new
kind is one new module in ``reports.kinds`` plus its test, or a third-party class
declared in the ``rm_harness.result_kinds`` entry-point group. The pipeline that uses
them is ``reports.kinds.dispatch``.

Why in ``reports``: a kind joins its renderers (``reports``) with its gate
(``harness.gate``, one layer below), and ``harness.cli`` (one layer above) dispatches
through it. ``reports`` is the lowest layer that may import both halves.

Example (a kind whose folders hold ``tally.txt``)::

    @register
    class TallyKind(ResultKind[int]):
        \"\"\"A folder of one count: reported as a page, passed when it is zero.\"\"\"

        name = "tally"
        marker = "tally.txt"
        gate_options = frozenset()

        def context(self, folder, options):
            return int((folder / self.marker).read_text())

        def renderers(self):
            return {"markdown": ReportFile("report.md", lambda n: f"# {n}\\n")}

        def gate(self, ctx):
            return GateOutcome((f"gate: {'PASS' if ctx == 0 else 'FAIL'}",), int(ctx != 0))
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import ClassVar, Generic, TypeVar

from harness.core.registry import Registry
from reports.report_files import FileRenderer

C = TypeVar("C")

ENTRY_POINT_GROUP = "rm_harness.result_kinds"


@dataclass(frozen=True)
class FolderOptions:
    """What ``rmh report`` and ``rmh gate`` were given besides the folder.

    Each kind reads the options it understands; the others are refused by their flag.
    """

    baseline: str | None = None
    policy: str | None = None
    allow_suite_mismatch: bool = False

    @staticmethod
    def flag(field: str) -> str:
        """The command-line flag of a field: ``allow_suite_mismatch`` is
        ``--allow-suite-mismatch``."""
        return "--" + field.replace("_", "-")

    def given(self) -> list[str]:
        """The fields that were given (a value, or a flag that is set), in field order."""
        return [f.name for f in dataclasses.fields(self) if getattr(self, f.name)]


#: Every option field, for a kind that understands them all (the run's).
ALL_OPTIONS = frozenset(f.name for f in dataclasses.fields(FolderOptions))


@dataclass(frozen=True)
class GateOutcome:
    """A gate's decision as ``rmh gate`` shows it: the lines to print, the exit code
    (0 pass, 1 fail; an unusable input is a ``HarnessError``, exit 2)."""

    lines: tuple[str, ...]
    exit_code: int


class ResultKind(ABC, Generic[C]):
    """One kind of result folder (module doc); ``C`` is the type of its context.

    Class attributes:
        name: registry name; also how messages call the folder ("a sweep folder").
        marker: the file whose presence makes a folder of this kind (``detect``).
        report_options: the ``FolderOptions`` fields ``rmh report`` takes for it.
        gate_options: the fields ``rmh gate`` takes for it; ``None`` when the kind has
            no gate (then ``rmh gate`` refuses its folders, before reading them).
    The one-line description is the first line of the class docstring.
    """

    name: ClassVar[str] = ""
    marker: ClassVar[str] = ""
    report_options: ClassVar[frozenset[str]] = frozenset()
    gate_options: ClassVar[frozenset[str] | None] = None

    @classmethod
    def description(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""

    @classmethod
    def detect(cls, folder: Path) -> bool:
        """Whether ``folder`` is of this kind: it holds ``marker``."""
        return (folder / cls.marker).is_file()

    def hint(self, folder: Path) -> str:
        """What to give instead for an option this kind refuses ("one of its run folders
        (e.g. exp/round-0)"), or "" when there is nothing better to say."""
        return ""

    @abstractmethod
    def context(self, folder: Path, options: FolderOptions) -> C:
        """Read ``folder`` (and what ``options`` name) once, for the report and the gate;
        bad input is a one-line ``HarnessError``."""

    @abstractmethod
    def renderers(self) -> Mapping[str, FileRenderer[C]]:
        """The report's files, by name (the keys of the written paths, in this order)."""

    def report_lines(self, ctx: C) -> list[str]:
        """What ``rmh report`` prints before the files it wrote (a verdict, a peak)."""
        return []

    def check_complete(self, ctx: C) -> None:
        """Raise a ``HarnessError`` (exit 2) when ``ctx`` is of a partial result; called
        after the report is written, so the report still shows what is done."""

    def gate(self, ctx: C) -> GateOutcome:
        """The release decision on ``ctx``; only for kinds whose ``gate_options`` is set."""
        raise NotImplementedError(f"result-folder kind {self.name!r} has no gate")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, marker={self.marker!r})"


def _check(cls: type[ResultKind]) -> None:
    """Refuse a kind that could not be dispatched to: no marker, unknown options, or a gate
    declared without one implemented (or implemented and not declared)."""
    if not (isinstance(cls, type) and issubclass(cls, ResultKind)):
        raise TypeError(f"{cls!r} is not a ResultKind subclass")
    marker = cls.marker
    if not isinstance(marker, str) or not marker or PurePath(marker).name != marker:
        raise TypeError(f"result-folder kind {cls.__name__}: marker must be a file name")
    for options in (cls.report_options, cls.gate_options or frozenset()):
        unknown = set(options) - ALL_OPTIONS
        if unknown:
            raise TypeError(
                f"result-folder kind {cls.__name__}: unknown options {sorted(unknown)}; "
                f"choose from {sorted(ALL_OPTIONS)}"
            )
    has_gate = cls.gate is not ResultKind.gate
    if has_gate != (cls.gate_options is not None):
        raise TypeError(
            f"result-folder kind {cls.__name__}: gate_options and gate() go together "
            "(set both for a kind with a gate, neither for one without)"
        )
    if not cls.description():
        raise TypeError(f"result-folder kind {cls.__name__} needs a docstring (its description)")


RESULT_KINDS: Registry[type[ResultKind]] = Registry(
    "result-folder kind", group=ENTRY_POINT_GROUP, discover="reports.kinds", check=_check
)
register = RESULT_KINDS.register
