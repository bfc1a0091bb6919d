"""The whack-a-mole experiment's report: ``rmh report EXP`` for an experiment folder.

Built as the run report is built: ``view`` reads the folder into a typed
``ExperimentView`` (the experiments layer's numbers, from the logs alone), and one module
per format renders it: ``html`` (``templates/rounds.html.j2``, curves per metric with
their intervals), ``markdown`` and ``summary`` (JSON); ``rows`` holds the cells the two
text formats share. Each round's run folder stays a run, reported on its own by
``rmh report RUN``.

    report = build_experiment_report("exp/demo")
    report.paths["html"], report.complete

Not renderers of ``reports.renderer.RENDERERS``: those format one run's context, and a
run folder gets every one of them; an experiment folder gets these three.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.core.errors import HarnessError
from reports import write_atomic
from reports.rounds.html import render_experiment_html
from reports.rounds.markdown import render_experiment_markdown
from reports.rounds.summary import render_experiment_summary
from reports.rounds.view import ExperimentView, experiment_view, is_experiment

__all__ = ["EXPERIMENT_FILES", "ExperimentReport", "build_experiment_report", "is_experiment"]

_FORMATS: dict[str, tuple[str, Callable[[ExperimentView], str]]] = {
    "html": ("report.html", render_experiment_html),
    "markdown": ("report.md", render_experiment_markdown),
    "summary": ("summary.json", render_experiment_summary),
}
EXPERIMENT_FILES = {name: filename for name, (filename, _) in _FORMATS.items()}


@dataclass(frozen=True)
class ExperimentReport:
    """Where each format was written (by name: ``html``, ``markdown``, ``summary``)."""

    paths: dict[str, Path]
    view: ExperimentView

    @property
    def complete(self) -> bool:
        return self.view.complete


def build_experiment_report(
    folder: str | Path, *, out: str | Path | None = None
) -> ExperimentReport:
    """Write the experiment report into ``out`` (default: the experiment folder).

    Every file is rendered before any is written, as ``build_report`` does, so a failure
    leaves the previous report whole.
    """
    view = experiment_view(folder)
    contents = {name: render(view) for name, (_, render) in _FORMATS.items()}
    target = Path(out) if out is not None else view.folder
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HarnessError(f"cannot write the report to {target}: {exc.strerror or exc}") from None
    paths = {
        name: write_atomic(target / EXPERIMENT_FILES[name], content)
        for name, content in contents.items()
    }
    return ExperimentReport(paths, view)
