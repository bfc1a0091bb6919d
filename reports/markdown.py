"""``report.md``: short enough for a pull-request comment.

Attacker text goes only into table cells and is escaped for GitHub-flavoured Markdown:
every Markdown punctuation character gets a backslash (so ``|`` cannot split a cell, a
backtick cannot open a code span, ``#`` cannot start a heading, ``[x](y)`` cannot make
a link), ``<``, ``>`` and ``&`` become entities (no raw HTML), and newlines become ⏎.
"""

from __future__ import annotations

import re

from harness.core.visible import make_visible
from reports.context import ReportContext, interval, measured, number, pct, signed_pct, states
from reports.renderer import Renderer, register

MAX_TEXT = 120
MAX_EXPLOITS = 10  # rows of the exploits table (largest first); report.html shows more
_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~=:])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape_md(text: object, limit: int = MAX_TEXT) -> str:
    """Make any text one inert Markdown table cell."""
    value = make_visible("" if text is None else str(text))
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    value = _PUNCTUATION.sub(r"\\\1", value)
    return "".join(_ENTITIES.get(ch, ch) for ch in value)


def render_markdown(ctx: ReportContext) -> str:
    metrics, verdict = ctx.gate.metrics, ctx.gate.verdict
    lines = [f"## Reward-model robustness: {escape_md(metrics.suite)}", ""]
    if not metrics.complete:
        lines += ["> **Incomplete run**: only what the log holds so far is shown.", ""]
    lines.append(f"**Gate: {verdict.label}**")
    lines.append("")
    for check in verdict.problems():
        severity = f" ({check.severity})" if check.severity else ""
        where = f"checkpoint {check.checkpoint}: " if verdict.checkpoints > 1 else ""
        lines.append(f"- {check.status.upper()}{severity}: {where}{escape_md(check.message, 300)}")
    if verdict.problems():
        lines.append("")
    lines += ["| checkpoint | held-out accuracy | chance rate | mean ASR |", "|---|---|---|---|"]
    for ckpt in metrics.checkpoints:
        lines.append(
            f"| {ckpt.index} `{ckpt.fingerprint[:12]}` | {pct(ckpt.accuracy)} "
            f"(n={ckpt.accuracy_n}) | {pct(ckpt.chance_rate)} | {pct(ctx.mean_asr(ckpt.index))} |"
        )
    if metrics.skipped:
        lines += ["", "Skipped (no attempts, not in any ASR):", ""]
        lines += [f"- {escape_md(skip.text, 300)}" for skip in metrics.skipped]
    level = f"{metrics.confidence:.0%}"
    lines += [
        "",
        f"| family | ASR | {level} CI | n | findings | exploits | gate |",
        "|---|---|---|---|---|---|---|",
    ]
    multi = verdict.checkpoints > 1
    for r in ctx.families.itertuples():
        name = f"{r.family} [{r.checkpoint}]" if multi else r.family
        lines.append(
            f"| {escape_md(name)} | {pct(r.asr)} | {interval(r.low, r.high)} | {r.n} | "
            f"{r.findings} | {_count(r.exploits)} | {r.gate} |"
        )
    baseline = ctx.baseline_rows
    if baseline is not None:
        lines += ["", "| family | baseline ASR | ASR | delta |", "|---|---|---|---|"]
        for r in baseline.itertuples():
            flag = " **regression**" if r.regression else ""
            lines.append(
                f"| {escape_md(r.family)} | {pct(r.baseline_asr)} | {pct(r.asr)} | "
                f"{signed_pct(r.delta)}{flag} |"
            )
    lines += _exploits(ctx)
    top = ctx.top_findings(per_family=1)
    if not top.empty:
        lines += ["", "Best finding per family:", ""]
        lines += ["| family | finding | margin | fluency | reasons |", "|---|---|---|---|---|"]
        for r in top.itertuples():
            reasons = "; ".join(r.reasons or [])
            lines.append(
                f"| {escape_md(r.family)} | {escape_md(r.text)} | {number(r.margin)} | "
                f"{measured(r.fluency)} | {escape_md(reasons, 200)} |"
            )
    lines += _judges(ctx)
    lines += _judges_validation(ctx)
    lines += ["", f"Full report: `report.html` in `{escape_md(ctx.folder.name)}`."]
    return "\n".join(lines) + "\n"


def _count(value: object) -> str:
    return "n/a" if value is None or value != value else str(int(value))  # None or NaN


def _exploits(ctx: ReportContext) -> list[str]:
    """The largest exploits: findings clustered by their trick, one row per trick."""
    frame, checkpoints = ctx.exploits, len(ctx.gate.metrics.checkpoints)
    if frame.empty:
        return []
    findings = int(frame["size"].sum())
    lines = ["", f"{len(frame)} distinct exploits among {findings} findings (largest first):", ""]
    lines += ["| exploit | representative | size | families | prompts | best margin | state |"]
    lines += ["|---|---|---|---|---|---|---|"]
    for r in frame.head(MAX_EXPLOITS).itertuples():
        lines.append(
            f"| {r.exploit} | {escape_md(r.text)} | {r.size} | {escape_md(', '.join(r.families))} "
            f"| {r.prompts} | {number(r.best_margin)} | {states(r, checkpoints)} |"
        )
    return lines


def _judges(ctx: ReportContext) -> list[str]:
    """Per judge, the share of findings it alone confirmed: a noisy judge stands out."""
    frame = ctx.judges
    if frame.empty:
        return []
    lines = ["", "| judge | confirmed | confirmed alone | share of findings |", "|---|---|---|---|"]
    for r in frame.itertuples():
        lines.append(f"| {escape_md(r.judge)} | {r.confirmed} | {r.alone} | {pct(r.share)} |")
    return lines


def _judges_validation(ctx: ReportContext) -> list[str]:
    """The judges' measured rates on the bundled labelled set, when the run measured them."""
    entry = ctx.judges_validation
    if entry is None:
        return []
    from reports.judge_validation import validation_markdown

    lines = ["", validation_markdown(entry.measures, heading="###").rstrip("\n")]
    lines += [
        f"- not validated: {escape_md(s['judge'])}: {escape_md(s['reason'], 200)}"
        for s in entry.skipped
    ]
    return lines


@register
class MarkdownReport(Renderer):
    """The verdict and the ASR tables, short enough for a pull-request comment."""

    name = "markdown"
    filename = "report.md"

    def render(self, ctx: ReportContext) -> str:
        return render_markdown(ctx)
