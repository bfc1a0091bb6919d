"""A run folder of ``rmh run``: reported by every registered renderer, gated by the policy.

Its context is the run report's (``reports.report_context``: the run log read once, the
metrics and the verdict computed once), so ``rmh report`` and ``rmh gate`` decide alike.
A partial run (killed, or its log cut) is reported, then refused; it is never gated.
"""

from __future__ import annotations

from pathlib import Path

from harness.gate import load_policy
from harness.gate.incomplete import refuse_incomplete
from harness.runlog import LOG_NAME
from reports import report_context, run_renderers
from reports.context import ReportContext
from reports.kinds.base import ALL_OPTIONS, FolderOptions, GateOutcome, ResultKind, register
from reports.renderer import Renderer


@register
class RunKind(ResultKind[ReportContext]):
    """A run folder of rmh run: its run log, reported and gated against a policy."""

    name = "run"
    marker = LOG_NAME
    report_options = ALL_OPTIONS
    gate_options = ALL_OPTIONS

    def context(self, folder: Path, options: FolderOptions) -> ReportContext:
        from attacks.registry import families  # the attack registry is read only here

        return report_context(
            folder,
            policy=load_policy(options.policy, known_families=families()),
            policy_origin=options.policy,
            baseline=options.baseline,
            allow_suite_mismatch=options.allow_suite_mismatch,
        )

    def renderers(self) -> dict[str, Renderer]:
        return run_renderers()

    def report_lines(self, ctx: ReportContext) -> list[str]:
        return ctx.gate.verdict.lines()

    def check_complete(self, ctx: ReportContext) -> None:
        refuse_incomplete(ctx.gate.metrics, "the report shows what is complete")

    def gate(self, ctx: ReportContext) -> GateOutcome:
        """The verdict, with the checks skipped for want of attempts said, not hidden."""
        result = ctx.gate
        refuse_incomplete(result.metrics, "no verdict on a partial run")
        if result.baseline is not None:
            refuse_incomplete(result.baseline, "no comparison with a partial baseline")
        skipped = [f"  skipped: {skip.text}" for skip in result.metrics.skipped]
        return GateOutcome((*result.verdict.lines(), *skipped), result.verdict.exit_code)
