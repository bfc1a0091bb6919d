"""The overoptimization sweep's report: ``rmh report SWEEP`` for a sweep folder.

Built from ``sweep.json`` alone (``harness.experiments.sweep.result``), as the run report
is built from the run log: ``html`` (``templates/sweep.html.j2`` around the section
``templates/sweep_section.html.j2``, with the plots drawn again as SVG), ``markdown`` and
``summary`` (``summary.json``); ``rows`` holds the cells they share. With a gate policy
that sets a sweep check (``min_best_of_n``, ``max_overoptimization_gap``), the gate's
verdict on the sweep heads them.

    report = build_sweep_report("exp/sweep")
    report.paths["html"]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.experiments.sweep.result import SweepRecord, is_sweep, read_sweep
from harness.gate import GatePolicy, Verdict
from reports.report_files import ReportFile, write_report_files
from reports.sweep.html import render_sweep_html
from reports.sweep.markdown import render_sweep_markdown
from reports.sweep.summary import render_sweep_summary

__all__ = [
    "SWEEP_FILES",
    "SWEEP_RENDERERS",
    "SweepContext",
    "SweepReport",
    "build_sweep_report",
    "is_sweep",
    "sweep_context",
]


@dataclass(frozen=True)
class SweepContext:
    """What both formats show, read once: the record, and the gate's verdict on it when the
    policy sets a sweep check (``policy`` is kept for the gate of ``rmh gate``)."""

    folder: Path
    record: SweepRecord
    policy: GatePolicy | None
    policy_origin: str | None
    verdict: Verdict | None


SWEEP_RENDERERS: dict[str, ReportFile[SweepContext]] = {
    "html": ReportFile(
        "report.html", lambda ctx: render_sweep_html(ctx.record, ctx.verdict, ctx.policy_origin)
    ),
    "markdown": ReportFile("report.md", lambda ctx: render_sweep_markdown(ctx.record, ctx.verdict)),
    "summary": ReportFile(
        "summary.json", lambda ctx: render_sweep_summary(ctx.record, ctx.verdict)
    ),
}
SWEEP_FILES = {name: renderer.filename for name, renderer in SWEEP_RENDERERS.items()}


@dataclass(frozen=True)
class SweepReport:
    """Where each format was written, what was read, and the gate's verdict (if asked)."""

    paths: dict[str, Path]
    record: SweepRecord
    verdict: Verdict | None


def sweep_context(
    folder: str | Path, *, policy: GatePolicy | None = None, policy_origin: str | None = None
) -> SweepContext:
    """Read ``sweep.json``; with a ``policy`` that sets a sweep check, decide on it."""
    from harness.gate.sweep_check import evaluate_sweep

    record = read_sweep(folder)
    verdict = None
    if policy is not None and policy.gates_sweeps:
        verdict = evaluate_sweep(record, policy)
    return SweepContext(Path(folder), record, policy, policy_origin, verdict)


def build_sweep_report(
    folder: str | Path,
    *,
    out: str | Path | None = None,
    policy: GatePolicy | None = None,
    policy_origin: str | None = None,
) -> SweepReport:
    """Write ``report.html``, ``report.md`` and ``summary.json`` into ``out`` (default:
    the sweep folder).

    All are rendered before any is written (``reports.report_files``), so a failure leaves
    the previous report whole. With a ``policy`` that sets a sweep check, the gate's
    verdict is shown.
    """
    ctx = sweep_context(folder, policy=policy, policy_origin=policy_origin)
    paths = write_report_files(SWEEP_RENDERERS, ctx, out if out is not None else ctx.folder)
    return SweepReport(paths, ctx.record, ctx.verdict)
