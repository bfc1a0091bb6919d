"""Robustness reports, built only from what a run wrote (its run log), so they can be
rebuilt at any time. Each file is written by one renderer plugin (``reports.renderer``):
``report.html``, ``report.md``, ``summary.json``, ``junit.xml``, ``findings.csv`` and
whatever installed packages add. Experiment and sweep folders have reports of their own
(``reports.rounds``, ``reports.sweep``); ``reports.kinds`` tells the kinds of folder apart
for ``rmh report`` and ``rmh gate``, and ``reports.report_files`` writes every report's files.

    result = build_report(Path("runs/rc1"), policy=load_policy("gate.toml"))
    result.paths["html"], result.verdict.label
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.gate import GatePolicy, GateResult, Verdict, gate_run
from harness.runlog.metrics import load_run_log
from reports.context import ReportContext
from reports.renderer import RENDERERS, Renderer
from reports.report_files import write_report_files


@dataclass(frozen=True)
class ReportResult:
    """Where each renderer wrote its file (keyed by renderer name) and the gate's result."""

    paths: dict[str, Path]
    gate: GateResult

    @property
    def verdict(self) -> Verdict:
        return self.gate.verdict

    @property
    def complete(self) -> bool:
        return self.gate.metrics.complete


def report_files() -> dict[str, str]:
    """Renderer name to the file it writes, in name order (every registered renderer)."""
    return {name: renderer.filename for name, renderer in RENDERERS.load_all().items()}


def __getattr__(name: str) -> Any:
    """``FILES`` (the same as ``report_files()``), computed on use rather than at import:
    reading the registry imports every renderer module, and those import this package."""
    if name == "FILES":
        return report_files()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def report_context(
    folder: str | Path,
    *,
    policy: GatePolicy,
    policy_origin: str | None = None,
    baseline: str | Path | None = None,
    allow_suite_mismatch: bool = False,
) -> ReportContext:
    """Read the run log and compute metrics and verdict once, for every renderer."""
    folder = Path(folder)
    log = load_run_log(folder)
    gate = gate_run(folder, policy, baseline, allow_suite_mismatch=allow_suite_mismatch, log=log)
    return ReportContext(
        folder=folder,
        log=log,
        gate=gate,
        policy_origin=policy_origin,
        baseline_folder=Path(baseline) if baseline is not None else None,
    )


def build_report(
    folder: str | Path,
    *,
    policy: GatePolicy,
    policy_origin: str | None = None,
    baseline: str | Path | None = None,
    allow_suite_mismatch: bool = False,
    out: str | Path | None = None,
) -> ReportResult:
    """Write one file per registered renderer into ``out`` (default: the run folder).

    Every file is rendered before any is written (``reports.report_files``), so a renderer that
    fails leaves the folder's previous report whole rather than half old, half new.
    """
    ctx = report_context(
        folder,
        policy=policy,
        policy_origin=policy_origin,
        baseline=baseline,
        allow_suite_mismatch=allow_suite_mismatch,
    )
    paths = write_report_files(run_renderers(), ctx, out if out is not None else ctx.folder)
    return ReportResult(paths, ctx.gate)


def run_renderers() -> dict[str, Renderer]:
    """One instance of every registered renderer, in name order: a run folder's report."""
    return {name: cls() for name, cls in RENDERERS.load_all().items()}
