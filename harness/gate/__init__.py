"""The release gate: a policy of thresholds over a run's metrics, and one verdict function.

``gate_run(folder, policy, baseline)`` is what ``rmh gate``, ``rmh report`` and the
pytest plugin call; it returns the metrics and the ``Verdict`` they all render. The
metrics themselves are the run log's (``harness.runlog.metrics``), exploits included:
the gate only decides on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.core.errors import HarnessError
from harness.gate.policy import GatePolicy, load_policy, parse_policy
from harness.gate.verdict import Check, Verdict, evaluate
from harness.runlog import LogContents
from harness.runlog.metrics import RunMetrics, load_run_log, run_metrics

__all__ = [
    "Check",
    "GatePolicy",
    "GateResult",
    "RunMetrics",
    "Verdict",
    "evaluate",
    "gate_run",
    "load_policy",
    "parse_policy",
    "run_metrics",
]


@dataclass(frozen=True)
class GateResult:
    metrics: RunMetrics
    baseline: RunMetrics | None
    verdict: Verdict


def gate_run(
    folder: str | Path,
    policy: GatePolicy,
    baseline: str | Path | None = None,
    *,
    allow_suite_mismatch: bool = False,
    log: LogContents | None = None,
) -> GateResult:
    """Metrics of the run in ``folder`` (and of ``baseline``) and the verdict on them."""
    metrics = run_metrics(log or load_run_log(folder), folder, policy.confidence)
    base = None
    if baseline is not None:
        base = run_metrics(load_run_log(baseline), baseline, policy.confidence)
        if base.suite_sha256 != metrics.suite_sha256 and not allow_suite_mismatch:
            same_name = base.suite == metrics.suite
            what = (
                f"another version of suite {base.suite!r}"
                if same_name
                else (f"suite {base.suite!r}, this run {metrics.suite!r}")
            )
            raise HarnessError(
                f"baseline {baseline} ran {what}; ASRs are not comparable "
                "(use --allow-suite-mismatch to compare anyway)"
            )
    return GateResult(metrics, base, evaluate(metrics, policy, base))
