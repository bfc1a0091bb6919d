"""The report's tables, as pandas frames built from the run log (and the gate's metrics).

Frames hold raw values (attacker text included, unescaped); each renderer escapes for
its own format.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from harness.gate import RunMetrics, Verdict
from harness.runlog import Entry, FindingEntry, InstabilityEntry, LogContents, ReplayEntry

TOP_FINDINGS_PER_FAMILY = 5


def family_table(metrics: RunMetrics, verdict: Verdict) -> pd.DataFrame:
    """ASR per family with its interval, n, findings, distinct exploits, errors and the
    gate's status."""
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
            "exploits": f.exploits,
            "errors": f.errors,
            "gate": verdict.status_of(f.checkpoint, f.family),
        }
        for f in metrics.families
    ]
    columns = ["checkpoint", "family", "asr", "low", "high", "interval", "n", "successes"]
    columns += ["prompts", "findings", "exploits", "errors", "gate"]
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
    """The run's findings; ``judges`` are those that confirmed each, ``fluency`` the fluency
    judge's measure (relative NLL; None where no fluency judge measured it)."""
    columns = ["checkpoint", "finding_id", "family", "attack", "prompt", "text", "score"]
    columns += ["reference_score", "margin", "reasons", "queries_at_find", "seeded"]
    columns += ["judges", "fluency"]
    return entry_frame(log.of_type(FindingEntry), columns)


def top_findings(
    log: LogContents,
    exploit_of: Mapping[int, int] | None = None,
    per_family: int = TOP_FINDINGS_PER_FAMILY,
) -> pd.DataFrame:
    """The highest-margin findings of each family on each checkpoint, one per exploit.

    ``exploit_of`` (finding id -> exploit id, ``RunMetrics.exploit_ids()``): only the best
    finding of each exploit is shown, so five spellings of one trick leave room for four
    other tricks. Without it every finding is its own exploit. Ties in
    margin go to the earlier finding, so a rebuilt report is the same.
    """
    frame = findings_frame(log)
    mapping = exploit_of or {}
    frame["exploit"] = [mapping.get(int(i), int(i)) for i in frame["finding_id"]]
    if frame.empty:
        return frame
    frame = frame.sort_values(
        ["checkpoint", "family", "margin"], ascending=[True, True, False], kind="stable"
    )
    frame = frame.drop_duplicates(["checkpoint", "family", "exploit"])
    return frame.groupby(["checkpoint", "family"], sort=True).head(per_family)


def exploit_table(metrics: RunMetrics, checkpoints: int) -> pd.DataFrame:
    """The run's exploits, largest first: representative, size, families, prompts, best
    margin and the state on each checkpoint (``open_0``, ``open_1``, ...: "open",
    "closed" or None where nothing was found or replayed there)."""
    rows = [
        {
            "exploit": e.id,
            "representative": e.representative.finding_id,
            "text": e.representative.text,
            "size": e.size,
            "families": list(e.families),
            "attacks": list(e.attacks),
            "prompts": len(e.prompts),
            "best_margin": e.best_margin,
            **{f"open_{c}": e.status[c] for c in range(checkpoints)},
        }
        for e in sorted(metrics.exploits, key=lambda e: (-e.size, -e.best_margin, e.id))
    ]
    columns = ["exploit", "representative", "text", "size", "families", "attacks", "prompts"]
    columns += ["best_margin", *(f"open_{c}" for c in range(checkpoints))]
    return pd.DataFrame(rows, columns=columns)


def judge_table(metrics: RunMetrics) -> pd.DataFrame:
    """Per judge: findings it confirmed, findings it alone confirmed, and that share of all."""
    rows = [
        {"judge": j.judge, "confirmed": j.confirmed, "alone": j.alone, "share": j.alone_share}
        for j in metrics.judges
    ]
    return pd.DataFrame(rows, columns=["judge", "confirmed", "alone", "share"])


def attempts_frame(log: LogContents) -> pd.DataFrame:
    columns = ["checkpoint", "attack_id", "attack", "family", "prompt_index", "budget"]
    columns += ["queries", "reference_score", "best_score", "best_margin", "findings"]
    columns += ["searched_findings", "first_finding_queries", "seconds", "error"]
    return entry_frame(log.attack_attempts(), columns)


def replay_table(log: LogContents) -> pd.DataFrame:
    """Stored findings replayed before the search (by default one representative per
    stored exploit and prompt): still open, closed, or reopened."""
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
