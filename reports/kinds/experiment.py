"""An experiment folder of ``rmh rounds``: the whack-a-mole experiment's report; no gate.

Its context is the ``ExperimentView`` (``reports.rounds``), read from its logs alone. It
takes no run options and has no gate of its own: each round's run folder is a run, which
is reported and gated on its own, and the messages that refuse an option say so.
"""

from __future__ import annotations

from pathlib import Path

from harness.core.errors import HarnessError
from harness.experiments.rounds.experiment_log import LOG_NAME
from harness.experiments.rounds.round_table import verdict_lines
from reports.kinds.base import FolderOptions, ResultKind, register
from reports.report_files import ReportFile
from reports.rounds import EXPERIMENT_RENDERERS
from reports.rounds.view import ExperimentView, experiment_view


@register
class ExperimentKind(ResultKind[ExperimentView]):
    """An experiment folder of rmh rounds: its rounds, curves and verdict, reported."""

    name = "experiment"
    marker = LOG_NAME

    def hint(self, folder: Path) -> str:
        return f"one of its run folders (e.g. {folder / 'round-0'})"

    def context(self, folder: Path, options: FolderOptions) -> ExperimentView:
        return experiment_view(folder)

    def renderers(self) -> dict[str, ReportFile[ExperimentView]]:
        return EXPERIMENT_RENDERERS

    def report_lines(self, ctx: ExperimentView) -> list[str]:
        return verdict_lines(ctx.verdict) if ctx.verdict is not None else []

    def check_complete(self, ctx: ExperimentView) -> None:
        if ctx.complete:
            return
        missing = ctx.missing()
        pending = f"; not measured yet: {', '.join(missing)}" if missing else ""
        raise HarnessError(
            f"experiment {ctx.folder} is incomplete (its experiment.jsonl has no verdict"
            f"{pending}); the report shows what is done; finish it with: "
            f"rmh rounds --resume --out {ctx.folder}"
        )
