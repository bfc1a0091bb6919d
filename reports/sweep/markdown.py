"""The sweep's ``report.md``: the peak, the curve and the trajectories, for a pull-request
comment or a note.

Every cell goes through ``reports.markdown.escape_md`` (punctuation backslash-escaped,
``<``, ``>`` and ``&`` as entities, invisible characters made visible), the sampled
responses and the attack paths' candidates above all: none can split a cell, open a code
span or make a link.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from harness.experiments.sweep.result import SweepRecord
from harness.experiments.sweep.sweep_lines import (
    best_text,
    failures_text,
    stop_text,
    watch_rule_text,
)
from harness.experiments.sweep.watched import WatchSummary
from harness.gate import Verdict
from reports.markdown import escape_md
from reports.sweep.rows import (
    CURVE_COLUMNS,
    SUMMARY_COLUMNS,
    WATCH_COLUMNS,
    confidence,
    curve_cells,
    fit_rows,
    onset_text,
    reference_note,
    step_cells,
    summary_cells,
    watch_cells,
)

MAX_TEXT = 120


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(escape_md(h, 200) for h in header) + " |"]
    lines.append("|" + "---|" * len(header))
    lines += ["| " + " | ".join(escape_md(c, 300) for c in row) + " |" for row in rows]
    return lines


def watch_markdown(w: WatchSummary) -> list[str]:
    """The watch's decision: the stop, the best step, failures, each evaluation's tests,
    and the first judged-bad completions (the policy's text: escaped like every cell)."""
    lines = ["", f"**Watch: {escape_md(stop_text(w), 600)}**", ""]
    lines += [f"- {escape_md(best_text(w), 400)}", f"- {escape_md(failures_text(w), 400)}"]
    lines += [f"- {escape_md(watch_rule_text(w), 600)}", ""]
    lines += _table(WATCH_COLUMNS, (watch_cells(s) for s in w.evaluations))
    if w.bad_examples:
        lines += [
            "",
            f"Judged bad at step {w.bad_examples_step} (the first evaluation with any):",
            "",
        ]
        lines += _table(("judged-bad completion",), ((t,) for t in w.bad_examples))
    return lines


def render_sweep_markdown(record: SweepRecord, verdict: Verdict | None = None) -> str:
    samples = record.samples
    lines = ["## Overoptimization sweep", ""]
    if verdict is not None:
        lines.append(f"**Gate: {escape_md(verdict.label)}**")
        lines += [
            f"- {escape_md(c.status.upper())}: {escape_md(c.message, 400)}" for c in verdict.checks
        ]
        lines.append("")
    lines += [
        f"Proxy {escape_md(record.proxy.spec, 200)} against gold "
        f"{escape_md(record.gold.label(), 200)}; {samples.used_prompts} of {samples.prompts} "
        f"prompts, n up to {samples.n_max}, seed {record.seed}.",
        "",
        f"> {escape_md(record.kl_note, 400)}.",
        "",
        f"**{escape_md(record.fit.message if record.fit else record.fit_note, 400)}**",
        "",
    ]
    rows = fit_rows(record)
    if rows:
        lines += [f"Fit, {confidence(record)} prompt-bootstrap intervals:", ""]
        lines += _table(("quantity", "estimate", "interval"), rows)
        lines += ["", escape_md(record.fit_note, 400) + ".", ""]
    lines += [escape_md(onset_text(record), 400), ""]
    lines += ["Best-of-n (gains over n = 1 in score spreads):", ""]
    lines += _table(CURVE_COLUMNS, (curve_cells(c) for c in record.curves))
    if record.examples:
        lines += ["", "The proxy's favourite sample (best-of-N) of the first prompts:", ""]
        lines += _table(
            ("prompt", "proxy's pick", "proxy", "gold", "nonsense"),
            (
                (
                    e.prompt,
                    e.response,
                    f"{e.proxy:.3f}",
                    f"{e.gold:.3f}",
                    "yes" if e.nonsense else "no",
                )
                for e in record.examples
            ),
        )
    if record.steps is not None:
        lines += ["", f"RL steps ({escape_md(record.steps.note, 300)}):", ""]
        lines += _table(
            ("step", "samples", "prompts", "proxy", "gold", "KL", "nonsense"),
            (step_cells(p) for p in record.steps.steps),
        )
    if record.watch is not None:
        lines += watch_markdown(record.watch)
    t = record.trajectories
    if t is not None:
        lines += [
            "",
            "Optimization trajectories (medians over paths; steps from the reference):",
            "",
            escape_md(reference_note(t), 600),
            "",
        ]
        lines += _table(SUMMARY_COLUMNS, (summary_cells(s) for s in t.summary if s.paths))
    else:
        lines += ["", "Optimization trajectories: not run."]
    lines += ["", "Full report: `report.html` in the sweep folder; every number in `sweep.json`."]
    return "\n".join(lines) + "\n"
