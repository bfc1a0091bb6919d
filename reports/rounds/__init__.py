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
run folder gets every one of them; an experiment folder gets these three
(``EXPERIMENT_RENDERERS``), written by ``reports.report_files`` as every report is. The
experiment's kind of result folder (``reports.kinds.experiment``) is what ``rmh report``
dispatches to.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reports.report_files import ReportFile, write_report_files
from reports.rounds.html import render_experiment_html
from reports.rounds.markdown import render_experiment_markdown
from reports.rounds.summary import render_experiment_summary
from reports.rounds.view import ExperimentView, experiment_view, is_experiment

__all__ = [
    "EXPERIMENT_FILES",
    "EXPERIMENT_RENDERERS",
    "ExperimentReport",
    "build_experiment_report",
    "is_experiment",
]

EXPERIMENT_RENDERERS: dict[str, ReportFile[ExperimentView]] = {
    "html": ReportFile("report.html", render_experiment_html),
    "markdown": ReportFile("report.md", render_experiment_markdown),
    "summary": ReportFile("summary.json", render_experiment_summary),
}
EXPERIMENT_FILES = {name: renderer.filename for name, renderer in EXPERIMENT_RENDERERS.items()}


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
    target = out if out is not None else view.folder
    return ExperimentReport(write_report_files(EXPERIMENT_RENDERERS, view, target), view)
