"""What a report renderer is: one file of the report, built from a ``ReportContext``.

``build_report`` writes one file per renderer in ``RENDERERS`` (a
``harness.core.registry.Registry``), so a new format is one new module in ``reports``
plus its test: nothing else lists the formats. Modules of ``reports`` that define no
renderer (tables, figures) are imported by discovery and register nothing. Renderers
only format: the metrics and the verdict are already in the context, computed once.

Example (``reports/csv_findings.py`` is a real one)::

    @register
    class VerdictBadge(Renderer):
        \"\"\"The verdict label alone, for a status badge.\"\"\"

        name = "badge"
        filename = "verdict.txt"

        def render(self, ctx: ReportContext) -> str:
            return ctx.gate.verdict.label + "\\n"

A third-party package ships one without touching this repository, through an entry
point in its ``pyproject.toml``::

    [project.entry-points."rm_harness.renderers"]
    badge = "my_package.badge:VerdictBadge"
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import PurePath
from typing import TYPE_CHECKING, ClassVar

from harness.core.registry import Registry
from harness.runlog import LOG_NAME

if TYPE_CHECKING:
    from reports.context import ReportContext


class Renderer(ABC):
    """Turns a run's report context into the whole content of one output file.

    Class attributes:
        name: registry name; also the key of the file in ``ReportResult.paths``.
        filename: the file written in the output folder (a plain name, unique among
            renderers, never the run log).
    The one-line description is the first line of the class docstring. Output must
    depend on the context alone (no clock, no randomness): a report rebuilt from the same
    log is byte-identical.
    """

    name: ClassVar[str] = ""
    filename: ClassVar[str] = ""

    @classmethod
    def description(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""

    @abstractmethod
    def render(self, ctx: ReportContext) -> str | bytes:
        """The file's content: text is written as UTF-8, bytes as they are."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, filename={self.filename!r})"


def _check(cls: type[Renderer]) -> None:
    """Refuse what would break a report folder: a file outside it, a hidden or log name."""
    if not (isinstance(cls, type) and issubclass(cls, Renderer)):
        raise TypeError(f"{cls!r} is not a Renderer subclass")
    filename = cls.filename
    if (
        not isinstance(filename, str)
        or not filename
        or PurePath(filename).name != filename
        or "\\" in filename
        or filename.startswith(".")  # hidden names are atomic writes' temporary files
        or filename == LOG_NAME
    ):
        raise TypeError(
            f"renderer {cls.__name__}: filename must be a plain file name other than "
            f"{LOG_NAME}, got {filename!r}"
        )
    if not cls.description():
        raise TypeError(f"renderer {cls.__name__} needs a docstring (its description)")


RENDERERS: Registry[type[Renderer]] = Registry(
    "renderer", group="rm_harness.renderers", discover="reports", check=_check
)
register = RENDERERS.register
