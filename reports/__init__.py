"""Robustness reports, built only from what a run wrote (its run log), so they can be
rebuilt at any time. Each file is written by one renderer plugin (``reports.renderer``):
``report.html``, ``report.md``, ``summary.json``, ``junit.xml``, ``findings.csv`` and
whatever installed packages add.

    result = build_report(Path("runs/rc1"), policy=load_policy("gate.toml"))
    result.paths["html"], result.verdict.label
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.core.durable import crash_point
from harness.core.errors import HarnessError
from harness.gate import GatePolicy, GateResult, Verdict, gate_run
from harness.runlog.metrics import load_run_log
from reports.context import ReportContext
from reports.renderer import RENDERERS, Renderer


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

    Every file is rendered before any is written, so a renderer that fails leaves the
    folder's previous report whole rather than half old, half new.
    """
    ctx = report_context(
        folder,
        policy=policy,
        policy_origin=policy_origin,
        baseline=baseline,
        allow_suite_mismatch=allow_suite_mismatch,
    )
    renderers = _renderers()
    contents = {name: renderer.render(ctx) for name, renderer in renderers.items()}
    target = Path(out) if out is not None else ctx.folder
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HarnessError(f"cannot write the report to {target}: {exc.strerror or exc}") from None
    paths = {
        name: write_atomic(target / renderers[name].filename, content)
        for name, content in contents.items()
    }
    return ReportResult(paths, ctx.gate)


def _renderers() -> dict[str, Renderer]:
    """One instance of every renderer, in name order; two writing one file is an error."""
    renderers = {name: cls() for name, cls in RENDERERS.load_all().items()}
    owners: dict[str, str] = {}
    for name, renderer in renderers.items():
        other = owners.setdefault(renderer.filename, name)
        if other != name:
            raise HarnessError(
                f"renderers {other!r} and {name!r} both write {renderer.filename}; "
                "uninstall or rename one"
            )
    return renderers


def write_atomic(path: Path, content: str | bytes) -> Path:
    """Write beside, then rename: a reader never sees half a report."""
    temporary = path.with_name(f".{path.name}.tmp")
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
        crash_point(f"renamed {path.name} into place")
    except OSError as exc:
        raise HarnessError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
