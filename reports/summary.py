"""``summary.json``: the machine-readable report (schema in ``docs/report.md``)."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

from harness.runlog import InstabilityEntry
from harness.runlog.metrics import ExploitMetrics
from reports import tables
from reports.context import ReportContext
from reports.renderer import Renderer, register

# 2: exploits, judges, families[].exploits; 3: run.skipped; 4: judges_validation
# (docs/report.md)
SCHEMA_VERSION = 4


def summary_dict(ctx: ReportContext) -> dict[str, Any]:
    metrics, init = ctx.gate.metrics, ctx.init
    top = ctx.top_findings(per_family=1)
    best = {
        (int(r.checkpoint), r.family): {
            "finding_id": int(r.finding_id),
            "attack": r.attack,
            "text": r.text,
            "margin": r.margin,
            "reasons": list(r.reasons or []),
        }
        for r in top.itertuples()
    }
    return json_safe(
        {
            "schema_version": SCHEMA_VERSION,
            "run": {
                "run_id": metrics.run_id,
                "folder": str(ctx.folder),
                "suite": metrics.suite,
                "suite_sha256": metrics.suite_sha256,
                "complete": metrics.complete,
                "truncated": metrics.truncated,
                "started_at": init.started_at or None,
                "seeds": init.seeds.to_json(),
                "versions": init.versions,
                "skipped": [dataclasses.asdict(skip) for skip in metrics.skipped],
            },
            "verdict": ctx.gate.verdict.to_dict(),
            "confidence": metrics.confidence,
            "checkpoints": [dataclasses.asdict(c) for c in metrics.checkpoints],
            "families": [
                {
                    "checkpoint": f.checkpoint,
                    "family": f.family,
                    "asr": f.asr,
                    "ci_low": f.interval.low,
                    "ci_high": f.interval.high,
                    "ci_method": f.interval.method,
                    "n": f.n,
                    "successes": f.successes,
                    "prompts": f.prompts,
                    "findings": f.findings,
                    "exploits": f.exploits,
                    "errors": f.errors,
                    "queries": f.queries,
                    "lm_tokens": f.lm_tokens,
                    "gate": ctx.gate.verdict.status_of(f.checkpoint, f.family),
                    "best_finding": best.get((f.checkpoint, f.family)),
                }
                for f in metrics.families
            ],
            "exploits": [_exploit(e) for e in metrics.exploits],
            "judges": [
                {
                    "judge": j.judge,
                    "confirmed": j.confirmed,
                    "alone": j.alone,
                    "share": j.alone_share,
                }
                for j in metrics.judges
            ],
            "judges_validation": _validation(ctx),
            "replay": tables.replay_counts(tables.replay_table(ctx.log)),
            "instabilities": len(ctx.log.of_type(InstabilityEntry)),
            "baseline": None
            if ctx.gate.baseline is None
            else {
                "run_id": ctx.gate.baseline.run_id,
                "folder": str(ctx.baseline_folder),
                "families": ctx.baseline_rows.to_dict(orient="records")
                if ctx.baseline_rows is not None
                else [],
            },
        }
    )


def _validation(ctx: ReportContext) -> dict[str, Any] | None:
    """The judges' measured rates on labelled rows (the log's ``validation`` entry)."""
    entry = ctx.judges_validation
    if entry is None:
        return None
    return {
        "data": entry.data,
        "rows": entry.rows,
        "kinds": entry.kinds,
        "judges": list(entry.judges),
        "skipped": list(entry.skipped),
        "seconds": entry.seconds,
    }


def _exploit(e: ExploitMetrics) -> dict[str, Any]:
    """One exploit of the run, its representative's text whole."""
    return {
        "id": e.id,
        "representative": e.representative.finding_id,
        "text": e.representative.text,
        "size": e.size,
        "members": [f.finding_id for f in e.findings],
        "families": list(e.families),
        "attacks": list(e.attacks),
        "prompts": list(e.prompts),
        "best_margin": e.best_margin,
        "found_on": list(e.found_on),
        "status": list(e.status),
    }


def json_safe(value: Any) -> Any:
    """JSON-safe: NaN becomes null, numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@register
class SummaryJson(Renderer):
    """The machine-readable summary (schema version 4, documented in docs/report.md)."""

    name = "summary"
    filename = "summary.json"

    def render(self, ctx: ReportContext) -> str:
        # allow_nan=False: json_safe already made NaN null, so a NaN here is a bug to hear of.
        text = json.dumps(summary_dict(ctx), indent=2, ensure_ascii=False, allow_nan=False)
        return text + "\n"
