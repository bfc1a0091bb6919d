"""Robustness reports, built only from what a run wrote (its run log), so they can be
rebuilt at any time: ``report.html``, ``report.md``, ``summary.json``, ``junit.xml``.

    result = build_report(Path("runs/rc1"), policy=load_policy("gate.toml"))
    result.paths["html"], result.verdict.label
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from harness.core.errors import HarnessError
from harness.gate import GatePolicy, GateResult, Verdict, gate_run
from harness.gate.metrics import load_run_log
from reports.context import ReportContext
from reports.html import render_html
from reports.junit import render_junit
from reports.markdown import render_markdown
from reports.summary import summary_dict

FILES = {
    "html": "report.html",
    "markdown": "report.md",
    "summary": "summary.json",
    "junit": "junit.xml",
}


@dataclass(frozen=True)
class ReportResult:
    paths: dict[str, Path]
    gate: GateResult

    @property
    def verdict(self) -> Verdict:
        return self.gate.verdict

    @property
    def complete(self) -> bool:
        return self.gate.metrics.complete


def build_report(
    folder: str | Path,
    *,
    policy: GatePolicy,
    policy_origin: str | None = None,
    baseline: str | Path | None = None,
    allow_suite_mismatch: bool = False,
    out: str | Path | None = None,
) -> ReportResult:
    """Write the four report files into ``out`` (default: the run folder)."""
    folder = Path(folder)
    log = load_run_log(folder)
    gate = gate_run(folder, policy, baseline, allow_suite_mismatch=allow_suite_mismatch, log=log)
    ctx = ReportContext(
        folder=folder,
        log=log,
        gate=gate,
        policy_origin=policy_origin,
        baseline_folder=Path(baseline) if baseline is not None else None,
    )
    target = Path(out) if out is not None else folder
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HarnessError(f"cannot write the report to {target}: {exc.strerror or exc}") from None
    contents = {
        "html": render_html(ctx),
        "markdown": render_markdown(ctx),
        "summary": json.dumps(summary_dict(ctx), indent=2, ensure_ascii=False, allow_nan=False)
        + "\n",
        "junit": render_junit(gate.verdict, gate.metrics.suite),
    }
    paths = {}
    for key, name in FILES.items():
        paths[key] = _write_atomic(target / name, contents[key])
    return ReportResult(paths, gate)


def _write_atomic(path: Path, text: str) -> Path:
    """Write beside, then rename: a reader never sees half a report."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        raise HarnessError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
