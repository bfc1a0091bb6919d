"""``rmh report`` and ``rmh gate``: render a run and decide on it from its log alone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from attacks.registry import families
from harness.core.errors import HarnessError
from harness.gate import GateResult, gate_run, load_policy
from harness.gate.metrics import RunMetrics


def report_command(
    run: str,
    *,
    baseline: str | None,
    policy: str | None,
    out: str | None,
    allow_suite_mismatch: bool,
    echo: Callable[[str], None],
) -> None:
    """Write the four report files; an incomplete run is reported, then flagged (exit 2)."""
    from reports import build_report

    result = build_report(
        Path(run),
        policy=load_policy(policy, known_families=families()),
        policy_origin=policy,
        baseline=baseline,
        allow_suite_mismatch=allow_suite_mismatch,
        out=out,
    )
    for line in result.verdict.lines():
        echo(line)
    for path in result.paths.values():
        echo(f"wrote {path}")
    _refuse_incomplete(result.gate.metrics, "the report shows what is complete")


def gate_command(
    run: str,
    *,
    baseline: str | None,
    policy: str | None,
    allow_suite_mismatch: bool,
    echo: Callable[[str], None],
) -> int:
    """Print the verdict and return its exit code: 0 pass, 1 fail (2 is raised as an error)."""
    result: GateResult = gate_run(
        run,
        load_policy(policy, known_families=families()),
        baseline,
        allow_suite_mismatch=allow_suite_mismatch,
    )
    _refuse_incomplete(result.metrics, "no verdict on a partial run")
    if result.baseline is not None:
        _refuse_incomplete(result.baseline, "no comparison with a partial baseline")
    for line in result.verdict.lines():
        echo(line)
    return result.verdict.exit_code


def _refuse_incomplete(metrics: RunMetrics, consequence: str) -> None:
    if metrics.complete and not metrics.truncated:
        return
    cut = " and its log ends in a cut line" if metrics.truncated else ""
    raise HarnessError(
        f"run {metrics.folder} is incomplete (no completion entry{cut}); {consequence}; "
        f"finish it with: rmh run --resume {metrics.folder}"
    )
