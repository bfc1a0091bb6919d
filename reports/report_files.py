"""Writing a report's files, for every kind of result folder alike.

A report is a set of files, each the whole output of one renderer over one context (a
run's ``ReportContext``, an experiment's ``ExperimentView``, a sweep's ``SweepContext``).
``write_report_files`` is the one place they are written, so every kind of folder gets
the same guarantees:

- two renderers writing one file is an error, named, before anything is rendered;
- every file is rendered before any is written, so a renderer that fails leaves the
  folder's previous report whole rather than half old, half new;
- each file is written with ``harness.core.atomic.write_atomic``: a reader never sees
  half a file, and a returned write survives a power loss.

A renderer is anything with a ``filename`` and a ``render(ctx)``: the run's renderer
classes (``reports.renderer.Renderer``) or a ``ReportFile`` pairing a file name with a
function, as the experiment and sweep reports use::

    ReportFile("report.md", render_sweep_markdown_of_context)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from harness.core.atomic import write_atomic
from harness.core.errors import HarnessError

C = TypeVar("C")
C_contra = TypeVar("C_contra", contravariant=True)


class FileRenderer(Protocol[C_contra]):
    """One file of a report: its name in the output folder and its whole content."""

    @property
    def filename(self) -> str: ...

    def render(self, ctx: C_contra) -> str | bytes: ...


@dataclass(frozen=True)
class ReportFile(Generic[C]):
    """A ``FileRenderer`` made of a file name and a function of the context."""

    filename: str
    render_with: Callable[[C], str | bytes]

    def render(self, ctx: C) -> str | bytes:
        return self.render_with(ctx)


def write_report_files(
    renderers: Mapping[str, FileRenderer[C]], ctx: C, target: str | Path
) -> dict[str, Path]:
    """Render every file, then write each into ``target`` (created); paths by renderer name.

    The names are the renderers' keys, in their order.
    """
    owners: dict[str, str] = {}
    for name, renderer in renderers.items():
        other = owners.setdefault(renderer.filename, name)
        if other != name:
            raise HarnessError(
                f"renderers {other!r} and {name!r} both write {renderer.filename}; "
                "uninstall or rename one"
            )
    contents = {name: renderer.render(ctx) for name, renderer in renderers.items()}
    folder = Path(target)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HarnessError(f"cannot write the report to {folder}: {exc.strerror or exc}") from None
    return {
        name: write_atomic(folder / renderers[name].filename, content)
        for name, content in contents.items()
    }
