"""The report's tables, as pandas frames built from the run log (and the gate's metrics).

Frames hold raw values (attacker text included, unescaped); each renderer escapes for
its own format.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from harness.gate import RunMetrics, Verdict
from harness.runlog import Entry, FindingEntry, InstabilityEntry, LogContents, ReplayEntry

TOP_FINDINGS_PER_FAMILY = 5


def family_table(metrics: RunMetrics, verdict: Verdict) -> pd.DataFrame:
    """ASR per family with its interval, n, findings, errors and the gate's status."""
    rows = [
        {
            "checkpoint": f.checkpoint,
            "family": f.family,
            "asr": f.asr,
            "low": f.interval.low,
            "high": f.interval.high,
            "interval": f.interval.method,
            "n": f.n,
            "successes": f.successes,
            "prompts": f.prompts,
            "findings": f.findings,
            "errors": f.errors,
            "gate": verdict.status_of(f.checkpoint, f.family),
        }
        for f in metrics.families
    ]
    columns = ["checkpoint", "family", "asr", "low", "high", "interval", "n", "successes"]
    columns += ["prompts", "findings", "errors", "gate"]
    return pd.DataFrame(rows, columns=columns)


def baseline_table(metrics: RunMetrics, baseline: RunMetrics, verdict: Verdict) -> pd.DataFrame:
    """ASR per family against the baseline run; ``regression`` flags failed regression checks."""
    regressions = {(c.checkpoint, c.family): c for c in verdict.checks if c.kind == "regression"}
    rows = []
    for f in metrics.families:
        index = f.checkpoint if f.checkpoint < len(baseline.checkpoints) else 0
        before = baseline.family(index, f.family)
        check = regressions.get((f.checkpoint, f.family))
        rows.append(
            {
                "checkpoint": f.checkpoint,
                "family": f.family,
                "baseline_asr": before.asr if before else None,
                "asr": f.asr,
                "delta": f.asr - before.asr if before else None,
                "regression": bool(check and check.status == "fail"),
            }
        )
    return pd.DataFrame(
        rows, columns=["checkpoint", "family", "baseline_asr", "asr", "delta", "regression"]
    )


def entry_frame(entries: Iterable[Entry], columns: Sequence[str]) -> pd.DataFrame:
    """Entries as rows; each column is a field or property of the entries (tuples as lists)."""
    rows = [{k: _cell(getattr(e, k)) for k in columns} for e in entries]
    return pd.DataFrame(rows, columns=list(columns))


def _cell(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def findings_frame(log: LogContents) -> pd.DataFrame:
    columns = ["checkpoint", "finding_id", "family", "attack", "prompt", "text", "score"]
    columns += ["reference_score", "margin", "reasons", "queries_at_find", "seeded"]
    return entry_frame(log.of_type(FindingEntry), columns)


def top_findings(log: LogContents, per_family: int = TOP_FINDINGS_PER_FAMILY) -> pd.DataFrame:
    """The highest-margin findings of each family on each checkpoint."""
    frame = findings_frame(log)
    if frame.empty:
        return frame
    frame = frame.sort_values(["checkpoint", "family", "margin"], ascending=[True, True, False])
    return frame.groupby(["checkpoint", "family"], sort=True).head(per_family)


def attempts_frame(log: LogContents) -> pd.DataFrame:
    columns = ["checkpoint", "attack_id", "attack", "family", "prompt_index", "budget"]
    columns += ["queries", "reference_score", "best_score", "best_margin", "findings"]
    columns += ["searched_findings", "first_finding_queries", "seconds", "error"]
    return entry_frame(log.attack_attempts(), columns)


def replay_table(log: LogContents) -> pd.DataFrame:
    """Stored findings replayed before the search: still open, closed, or reopened."""
    columns = ["checkpoint", "finding_id", "family", "attack", "text", "score"]
    columns += ["reference_score", "margin", "open", "was_open", "status"]
    before = [e for e in log.of_type(ReplayEntry) if e.phase == "before"]
    return entry_frame(before, columns)


def replay_counts(replay: pd.DataFrame) -> dict[str, int]:
    """How many replayed findings are ``open``, ``closed`` and ``reopened``."""
    return {
        status: int((replay["status"] == status).sum()) if not replay.empty else 0
        for status in ("open", "closed", "reopened")
    }


def instability_table(log: LogContents) -> pd.DataFrame:
    columns = ["checkpoint", "perturbation", "side", "prompt", "perturbed", "swing"]
    frame = entry_frame(log.of_type(InstabilityEntry), columns)
    return frame.sort_values("swing", ascending=False) if not frame.empty else frame
