"""The overoptimization sweep's report: ``rmh report SWEEP`` for a sweep folder.

Built from ``sweep.json`` alone (``harness.experiments.sweep.record``), as the run report
is built from the run log: ``html`` (``templates/sweep.html.j2`` around the section
``templates/sweep_section.html.j2``, with the plots drawn again as SVG) and ``markdown``;
``rows`` holds the cells both share. With a gate policy that sets ``min_best_of_n``, the
gate's verdict on the sweep heads both.

    report = build_sweep_report("exp/sweep")
    report.paths["html"]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.core.errors import HarnessError
from harness.experiments.sweep.record import SweepRecord, is_sweep, read_sweep
from harness.gate import GatePolicy, Verdict
from reports import write_atomic
from reports.sweep.html import render_sweep_html
from reports.sweep.markdown import render_sweep_markdown

__all__ = ["SWEEP_FILES", "SweepReport", "build_sweep_report", "is_sweep"]

SWEEP_FILES = {"html": "report.html", "markdown": "report.md"}


@dataclass(frozen=True)
class SweepReport:
    """Where each format was written, what was read, and the gate's verdict (if asked)."""

    paths: dict[str, Path]
    record: SweepRecord
    verdict: Verdict | None


def build_sweep_report(
    folder: str | Path,
    *,
    out: str | Path | None = None,
    policy: GatePolicy | None = None,
    policy_origin: str | None = None,
) -> SweepReport:
    """Write ``report.html`` and ``report.md`` into ``out`` (default: the sweep folder).

    Both are rendered before either is written, so a failure leaves the previous report
    whole. With a ``policy`` that sets ``min_best_of_n``, the gate's verdict is shown.
    """
    from harness.gate.sweep import evaluate_sweep

    record = read_sweep(folder)
    verdict = None
    if policy is not None and policy.min_best_of_n is not None:
        verdict = evaluate_sweep(record, policy)
    renders: dict[str, Callable[[], str]] = {
        "html": lambda: render_sweep_html(record, verdict, policy_origin),
        "markdown": lambda: render_sweep_markdown(record, verdict),
    }
    contents = {name: render() for name, render in renders.items()}
    target = Path(out) if out is not None else Path(folder)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HarnessError(f"cannot write the report to {target}: {exc.strerror or exc}") from None
    paths = {
        name: write_atomic(target / SWEEP_FILES[name], text) for name, text in contents.items()
    }
    return SweepReport(paths, record, verdict)
