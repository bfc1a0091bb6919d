"""The per-round table and the verdict lines, as text: what ``rmh rounds`` prints.

One function per view, so the CLI, the report and a notebook print the same numbers the
same way: ``round_table(summaries, seed=...)`` (one row per arm and round: fresh ASR on trained and
held-out families with their 95% prompt-bootstrap intervals, or a 0/k and k/k with its
Clopper-Pearson bound, replay ASR, clean accuracy,
novel share, extra pairs trained on, final training loss) and ``verdict_lines(entry)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from harness.experiments.rounds.bootstrap import rate_interval
from harness.experiments.rounds.counts import Counts
from harness.experiments.rounds.experiment_log import VerdictEntry
from harness.experiments.rounds.floors import prompt_share_bound
from harness.experiments.rounds.outcomes import RoundSummary

__all__ = ["COLUMNS", "round_table", "verdict_lines"]

COLUMNS = (
    "arm",
    "round",
    "fresh trained",
    "fresh held-out",
    "replay",
    "clean acc",
    "novel",
    "aug",
    "loss",
)


def _rate(counts: Counts) -> str:
    if not counts.total_trials:
        return "-"
    return _extreme(counts) or f"{counts.rate:.2f}"


def _interval(counts: Counts, seed: int) -> str:
    if not counts.total_trials:
        return "-"
    extreme = _extreme(counts)
    if extreme:
        return extreme
    e = rate_interval(counts, seed=seed)
    return f"{e.estimate:.2f} [{e.low:.2f},{e.high:.2f}]"


def _extreme(counts: Counts) -> str | None:
    """A 0/k or k/k rate with its exact bound: a bootstrap of identical prompts has zero
    width, and "0 of 24" says less than "0.00" suggests. The bound is Clopper-Pearson's,
    95% two-sided, over the trials as if independent: the prompts' clustering only
    widens it."""
    s, t = counts.total_successes, counts.total_trials
    if 0 < s < t:
        return None
    bound = prompt_share_bound(s, t, upper=s == 0)
    return f"{s}/{t} [{'<=' if s == 0 else '>='}{bound:.2f}]"


def _number(value: float | None, spec: str) -> str:
    return "-" if value is None or not math.isfinite(value) else format(value, spec)


def round_row(summary: RoundSummary, *, seed: int) -> tuple[str, ...]:
    """One summary as the table's cells (strings); intervals drawn with ``seed``, the
    experiment's (the verdict's intervals use it too)."""
    o = summary.outcomes
    aug = "-" if summary.augmented is None else str(summary.augmented)
    if summary.round and not summary.retrained:
        aug += " (not retrained)"
    return (
        o.arm,
        str(o.round),
        _interval(o.fresh_trained, seed),
        _interval(o.fresh_heldout, seed),
        _rate(o.replay),
        _rate(o.clean_accuracy),
        _number(o.novel_share, ".2f"),
        aug,
        _number(summary.loss, ".3f"),
    )


def round_table(summaries: Sequence[RoundSummary], *, seed: int) -> str:
    """A plain-text table, one row per (arm, round), columns ``COLUMNS``."""
    rows = [COLUMNS, *(round_row(s, seed=seed) for s in summaries)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def verdict_lines(entry: VerdictEntry) -> list[str]:
    """Each verdict's outcome and its deciding statement, then findings against synthetic."""
    lines = []
    for v in entry.verdicts:
        lines.append(f"verdict for {v.arm} (against {v.control}): {v.label}")
        lines.extend(f"  {reason}" for reason in v.reasons)
    if entry.comparisons:
        lines.append("findings against synthetic (not a rule):")
        for c in entry.comparisons:
            if c.estimate is None or c.low is None or c.high is None:
                lines.append(f"  {c.label}: not estimable")
            else:
                lines.append(f"  {c.label}: {c.estimate:+.3f} [{c.low:+.3f}, {c.high:+.3f}]")
    return lines
