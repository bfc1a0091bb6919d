"""The cells the sweep's HTML and Markdown share: one place that formats each number."""

from __future__ import annotations

from harness.experiments.sweep.result import (
    AttackPath,
    CurvePoint,
    Estimate,
    PathSummary,
    SamplesRecord,
    StepPoint,
    SweepRecord,
    Trajectories,
)
from harness.experiments.sweep.sweep_lines import (
    fit_weights,
    interval,
    number,
    onset_line,
    percent,
    reference_text,
)
from harness.experiments.sweep.watched import WatchedStep

WATCH_COLUMNS = (
    "step",
    "prompts",
    "decision",
    "gold change over the window [upper bound]",
    "judged bad, rise since the first evaluation [lower bound]",
    "best step",
)
CURVE_COLUMNS = ("n", "KL_bon", "sqrt", "proxy", "gold", "proxy gain", "gold gain", "nonsense")
SUMMARY_COLUMNS = (
    "attack",
    "paths",
    "gold peak step",
    "queries",
    "peak at reference",
    "reached nonsense",
    "first nonsense step",
    "queries",
    "final proxy gain",
    "final gold gain",
)


def confidence(record: SweepRecord) -> str:
    return f"{record.config.get('confidence', 0.95):.0%}"


def curve_cells(c: CurvePoint) -> tuple[str, ...]:
    return (
        str(c.n),
        f"{c.kl:.2f}",
        f"{c.d:.2f}",
        interval(c.proxy, 3),
        interval(c.gold, 3),
        interval(c.proxy_gain),
        interval(c.gold_gain),
        percent(c.nonsense),
    )


def fit_rows(record: SweepRecord) -> list[tuple[str, str, str]]:
    """(quantity, estimate, interval) of the fit; empty without a fit."""
    fit = record.fit
    if fit is None:
        return []

    def row(label: str, e: Estimate | None, digits: int) -> tuple[str, str, str]:
        if e is None:
            return (label, "n/a", "")
        point = number(e.estimate, digits, unbounded="unbounded (no peak)")
        bounds = f"[{number(e.low, digits)}, {number(e.high, digits, unbounded='unbounded')}]"
        return (label, point, bounds)

    rows = [
        row("alpha (gold spreads)", fit.alpha_spread, 3),
        row("beta (gold spreads)", fit.beta_spread, 3),
        row("alpha (raw gold units)", fit.alpha, 3),
        row("beta (raw gold units)", fit.beta, 3),
        row("d* = alpha / (2 beta), sqrt(nats)", fit.d_star, 2),
        row("n* (KL_bon(n*) = d*^2)", fit.n_star, 1),
        ("n*, nearest power of two", str(fit.n_star_power_of_two or "none"), ""),
        ("peak", fit.peak, ""),
        ("weights", fit_weights(fit), ""),
    ]
    if fit.gap is not None:
        g = fit.gap
        rows.append(
            (
                f"proxy-gold gap at n = {g.n} (score spreads)",
                f"{g.gap:+.2f}",
                f"proxy gain {g.proxy_gain:+.2f}, gold gain {g.gold_gain:+.2f}",
            )
        )
    over = record.overoptimization
    if over is not None:
        rows.append(
            (
                "gamma (area between gold and proxy fits / gold's)",
                number(over.gamma.estimate, 3, unbounded="unbounded"),
                ""
                if over.gamma.estimate is None
                else f"[{number(over.gamma.low, 3)}, "
                f"{number(over.gamma.high, 3, unbounded='unbounded')}]",
            )
        )
    return rows


def onset_text(record: SweepRecord) -> str:
    """The onset sentence (``sweep_lines.onset_line``), with how it was decided."""
    line = onset_line(record)
    method = record.nonsense.method
    return f"{line[0].upper()}{line[1:]}. Decided by: {method}."


def prompts_text(samples: SamplesRecord) -> str:
    """How many prompts best-of-n used, and why it skipped the others."""
    skipped = (
        samples.skipped_fewer_than_2 + samples.skipped_fewer_than_n_max + samples.skipped_tied_proxy
    )
    text = f"{samples.used_prompts} of {samples.prompts} used"
    if not skipped:
        return text
    tied = (
        f", {samples.skipped_tied_proxy} where the proxy scores every sample the same"
        if samples.skipped_tied_proxy
        else ""
    )
    return (
        f"{text} ({samples.skipped_fewer_than_2} with fewer than 2 samples, "
        f"{samples.skipped_fewer_than_n_max} with fewer than n_max{tied} skipped)"
    )


def step_cells(p: StepPoint) -> tuple[str, ...]:
    return (
        "none" if p.step is None else str(p.step),
        str(p.rows),
        str(p.prompts),
        interval(p.proxy, 3),
        interval(p.gold, 3),
        "n/a" if p.kl is None else interval(p.kl, 3),
        percent(p.nonsense),
    )


def summary_cells(s: PathSummary) -> tuple[str, ...]:
    return (
        s.attack,
        str(s.paths),
        number(s.gold_peak_step, 1),
        number(s.gold_peak_queries, 0),
        f"{s.peak_at_start} of {s.paths}",
        f"{s.reached_nonsense} of {s.paths}",
        number(s.first_nonsense_step, 1),
        number(s.first_nonsense_queries, 0),
        number(s.final_proxy_gain),
        number(s.final_gold_gain),
    )


#: What each reference rule means for the trajectory table's "peak at reference" column.
REFERENCE_MEANING = {
    "random": "with no RM choosing the references, a gold peak at the reference is not "
    "made likely by selection",
    "proxy-best": "the proxy chose the references (its favourite), so the searches start "
    "where best-of-N over the samples stops",
    "file": "the references were given; how they were chosen decides what a gold peak at "
    "the reference means",
    "gold-best": "the gold chose the references (its favourite), so a gold peak at the "
    "reference is likely by selection alone (regression to the mean)",
}


def reference_note(t: Trajectories) -> str:
    """The reference rule, in words, and what it means for the table beside it."""
    meaning = REFERENCE_MEANING.get(t.reference_rule)
    return f"Reference rule {reference_text(t)}" + (f"; {meaning}." if meaning else ".")


def path_where(path: AttackPath) -> tuple[str, str]:
    """(gold peak, first nonsense) as ``step (query q)``."""
    peak = f"{path.gold_peak_step} (query {path.gold_peak_queries})"
    if path.first_nonsense_step is None:
        return peak, "never"
    return peak, f"{path.first_nonsense_step} (query {path.first_nonsense_queries})"


def headline(record: SweepRecord) -> str:
    fit = record.fit
    if fit is None:
        return "no fit"
    if fit.peak == "within":
        return f"n* {number(fit.n_star.estimate, 1)}"
    return {"beyond": "no peak within range", "none": "no peak", "start": "gold falls at once"}[
        fit.peak
    ]


def watch_cells(s: WatchedStep) -> tuple[str, ...]:
    """One evaluation of the watch: its decision and the stop rule's two tests."""
    peak = "waits for the window"
    if s.peak is not None:
        span = f"steps {s.peak.steps[0]}-{s.peak.steps[-1]}"
        peak = f"{s.peak.change:+.3g} [{s.peak.high:+.3g}] ({span})"
    nonsense = (
        "n/a"
        if s.nonsense is None
        else f"{100 * s.nonsense.rise:+.1f} points [{100 * s.nonsense.low:+.1f}] "
        f"({100 * s.nonsense.current:.1f}% now; margin {100 * s.nonsense.margin:g})"
    )
    decision = f"stop: {s.reason}" if s.stop else "continue"
    best = "none" if s.best_step is None else str(s.best_step)
    if s.best_clean_step is not None and s.best_clean_step != s.best_step:
        best += f" (within the judged-bad margin: {s.best_clean_step})"
    return (str(s.step), str(s.prompts), decision, peak, nonsense, best)
