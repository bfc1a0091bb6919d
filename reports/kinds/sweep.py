"""A sweep folder of ``rmh sweep``: its report, and the gate on its sweep checks.

Its context is the sweep report's (``reports.sweep.sweep_context``: ``sweep.json`` read
once, and the gate's verdict when the policy sets ``min_best_of_n`` or
``max_overoptimization_gap``). ``rmh gate`` on a
sweep needs that minimum (``harness.gate.sweep_check``: a policy without it is an error, since
there is nothing to decide); ``rmh report`` shows the verdict when there is one.
"""

from __future__ import annotations

from pathlib import Path

from harness.core.visible import clip
from harness.experiments.sweep.result import SWEEP_FILE
from harness.experiments.sweep.sweep_lines import peak_lines, stop_text
from harness.gate import load_policy
from reports.kinds.base import FolderOptions, GateOutcome, ResultKind, register
from reports.report_files import ReportFile
from reports.sweep import SWEEP_RENDERERS, SweepContext, sweep_context


@register
class SweepKind(ResultKind[SweepContext]):
    """A sweep folder of rmh sweep: gold against proxy by best-of-n, and where it peaks."""

    name = "sweep"
    marker = SWEEP_FILE
    report_options = frozenset({"policy"})
    gate_options = frozenset({"policy"})

    def context(self, folder: Path, options: FolderOptions) -> SweepContext:
        return sweep_context(
            folder, policy=load_policy(options.policy), policy_origin=options.policy
        )

    def renderers(self) -> dict[str, ReportFile[SweepContext]]:
        return SWEEP_RENDERERS

    def report_lines(self, ctx: SweepContext) -> list[str]:
        lines = peak_lines(ctx.record)
        if ctx.record.watch is not None:
            lines.append(f"watch: {clip(stop_text(ctx.record.watch), 300)}")
        if ctx.verdict is not None:
            lines.append(f"gate: {ctx.verdict.label}")
            lines += [f"  {c.status.upper()}: {c.message}" for c in ctx.verdict.checks]
        return lines

    def gate(self, ctx: SweepContext) -> GateOutcome:
        """The ``best-of-n`` check, printed whatever its status."""
        from harness.gate import GatePolicy
        from harness.gate.sweep_check import evaluate_sweep

        verdict = ctx.verdict or evaluate_sweep(ctx.record, ctx.policy or GatePolicy())
        lines = [f"gate: {verdict.label}"]
        for check in verdict.checks:
            severity = f", {check.severity}" if check.severity else ""
            lines.append(f"  {check.status.upper()}{severity}: {check.message}")
        return GateOutcome(tuple(lines), verdict.exit_code)
