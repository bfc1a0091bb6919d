"""``report.html``: one self-contained page (inline CSS, SVG plots as data URIs, no script).

Attacker-controlled text (prompts, findings, judge reasons) reaches the page only as
Jinja2 text nodes with autoescaping on, after ``make_visible`` has turned invisible,
control and bidi characters into ``⟨U+XXXX⟩``. It is never put in an attribute or a URL.
A Content-Security-Policy forbids script and network loads as a second line of defence.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

import jinja2
import pandas as pd

from harness.core.visible import make_visible
from harness.gate import Verdict
from harness.runlog import AttemptEntry, InitEntry
from harness.runlog.metrics import CheckpointMetrics
from reports import figures, tables
from reports.context import ReportContext, interval, measured, number, pct, signed_pct, states
from reports.renderer import Renderer, register

MAX_TEXT = 600  # characters of a finding shown; the store and summary.json keep it whole
MAX_ROWS = 50  # rows of the instability and replay tables

TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("reports", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def shown(text: Any, limit: int = MAX_TEXT) -> str:
    """Attacker text as it will be displayed (escaping is the template's job)."""
    text = make_visible("" if text is None else str(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_html(ctx: ReportContext) -> str:
    return TEMPLATES.get_template("report.html.j2").render(**html_context(ctx))


def render_verdict_box(verdict: Verdict, policy_origin: str | None = None) -> str:
    """Only the verdict box, from the verdict alone (the page includes the same template)."""
    return TEMPLATES.get_template("verdict.html.j2").render(
        verdict=verdict, policy_origin=policy_origin
    )


def html_context(ctx: ReportContext) -> dict[str, Any]:
    metrics, verdict, init = ctx.gate.metrics, ctx.gate.verdict, ctx.init
    family_frame = ctx.families
    attempts = tables.attempts_frame(ctx.log)
    findings = tables.findings_frame(ctx.log)
    top = ctx.top_findings()
    exploits = ctx.exploits
    replay = tables.replay_table(ctx.log)
    instabilities = tables.instability_table(ctx.log)
    references = (
        attempts.drop_duplicates(["checkpoint", "prompt_index"])["reference_score"].dropna()
        if not attempts.empty
        else pd.Series(dtype=float)
    )
    return {
        "run": metrics,
        "verdict": verdict,
        "policy_origin": ctx.policy_origin,
        "harness_version": harness_version(),
        "confidence_pct": f"{metrics.confidence:.0%}",
        "seeds": init.seeds.to_json(),
        "started_at": init.started_at or init.time,
        "versions": init.versions,
        "skipped": [shown(skip.text, 300) for skip in metrics.skipped],
        "checkpoints": [_checkpoint_row(ctx, c, init) for c in metrics.checkpoints],
        "families": [
            {
                "checkpoint": r.checkpoint,
                "family": r.family,
                "asr": pct(r.asr),
                "ci": interval(r.low, r.high),
                "n": r.n,
                "findings": r.findings,
                "exploits": "n/a" if pd.isna(r.exploits) else int(r.exploits),
                "errors": r.errors,
                "gate": r.gate,
            }
            for r in family_frame.itertuples()
        ],
        "baseline": _baseline(ctx),
        "plots": {
            "asr": figures.asr_plot(family_frame, metrics.confidence),
            "scores": figures.score_plot(references, findings["score"].dropna()),
            "margins": figures.margin_plot(findings["margin"].dropna()),
            "first_finding": figures.first_finding_plot(attempts),
        },
        "exploits": [
            {
                "id": r.exploit,
                "text": shown(r.text, 300),
                "size": r.size,
                "families": ", ".join(r.families),
                "prompts": r.prompts,
                "margin": number(r.best_margin),
                "state": states(r, len(metrics.checkpoints)),
            }
            for r in exploits.head(MAX_ROWS).itertuples()
        ],
        "exploit_count": len(exploits),
        "exploit_findings": int(exploits["size"].sum()) if not exploits.empty else 0,
        "judges": [
            {
                "judge": shown(r.judge, 60),
                "confirmed": r.confirmed,
                "alone": r.alone,
                "share": pct(r.share),
            }
            for r in ctx.judges.itertuples()
        ],
        "validation": _validation(ctx),
        "findings": [
            {
                "exploit": r.exploit,
                "family": r.family,
                "attack": r.attack,
                "prompt": shown(r.prompt, 200),
                "text": shown(r.text),
                "margin": number(r.margin),
                "fluency": measured(r.fluency),
                "reasons": [shown(reason, 300) for reason in (r.reasons or [])],
            }
            for r in top.itertuples()
        ],
        "instabilities": [
            {
                "perturbation": r.perturbation,
                "side": r.side,
                "prompt": shown(r.prompt, 200),
                "perturbed": shown(r.perturbed),
                "swing": number(r.swing),
            }
            for r in instabilities.head(MAX_ROWS).itertuples()
        ],
        "instability_probed": any(e.is_probe for e in ctx.log.of_type(AttemptEntry)),
        "replay": [
            {
                "finding_id": r.finding_id,
                "family": r.family,
                "text": shown(r.text, 300),
                "margin": number(r.margin),
                "status": r.status,
            }
            for r in replay.head(MAX_ROWS).itertuples()
        ],
        "replay_counts": tables.replay_counts(replay),
    }


def _checkpoint_row(ctx: ReportContext, ckpt: CheckpointMetrics, init: InitEntry) -> dict[str, Any]:
    info = init.checkpoints[ckpt.index]
    model = info.get("architecture") or info.get("name") or info.get("kind", "")
    device = ", ".join(str(info[k]) for k in ("device", "dtype") if info.get(k)) or "n/a"
    families = [f for f in ctx.gate.metrics.families if f.checkpoint == ckpt.index]
    return {
        "index": ckpt.index,
        "spec": shown(ckpt.spec, 300),
        "fingerprint": ckpt.fingerprint,
        "model": shown(model, 200),
        "device": device,
        "accuracy": pct(ckpt.accuracy),
        "accuracy_ci": interval(ckpt.accuracy_low, ckpt.accuracy_high),
        "accuracy_n": ckpt.accuracy_n,
        "chance": pct(ckpt.chance_rate),
        "families": len(families),
        "mean_asr": pct(ctx.mean_asr(ckpt.index)),
        "instabilities": ckpt.instabilities,
    }


def _validation(ctx: ReportContext) -> dict[str, Any] | None:
    """The judges' measured rates on labelled rows, as the table's text (Jinja escapes it)."""
    entry = ctx.judges_validation
    if entry is None:
        return None
    from reports.judge_validation import LEGEND, validation_table

    frame = validation_table(entry.measures)
    return {
        "rows": entry.rows,
        "columns": list(frame.columns),
        "table": [[shown(v, 120) for v in row] for row in frame.itertuples(index=False)],
        "legend": LEGEND,
        "skipped": [f"{s['judge']}: {s['reason']}" for s in entry.skipped],
    }


def _baseline(ctx: ReportContext) -> dict[str, Any] | None:
    rows = ctx.baseline_rows
    if rows is None or ctx.gate.baseline is None:
        return None
    return {
        "run_id": ctx.gate.baseline.run_id,
        "folder": str(ctx.baseline_folder),
        "rows": [
            {
                "family": r.family,
                "baseline_asr": pct(r.baseline_asr),
                "asr": pct(r.asr),
                "delta": signed_pct(r.delta),
                "regression": r.regression,
            }
            for r in rows.itertuples()
        ],
    }


def harness_version() -> str:
    try:
        return metadata.version("rm-harness")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


@register
class HtmlReport(Renderer):
    """One self-contained page: verdict, ASR with intervals, plots, findings, replay."""

    name = "html"
    filename = "report.html"

    def render(self, ctx: ReportContext) -> str:
        return render_html(ctx)
