"""The sweep as text: the lines ``rmh sweep`` prints (and ``rmh report`` repeats)."""

from __future__ import annotations

from harness.core.visible import clip
from harness.experiments.sweep.result import Estimate, SweepRecord, Trajectories


def number(value: float | None, digits: int = 2, *, unbounded: str = "n/a") -> str:
    """Fixed digits; from a million up, three significant digits and a power (an
    extrapolated n* can be 10^22, whose digits say nothing)."""
    if value is None:
        return unbounded
    return f"{value:.{digits}f}" if abs(value) < 1e6 else f"{value:.3g}"


def interval(e: Estimate | None, digits: int = 2, *, unbounded: str = "unbounded") -> str:
    """``0.41 [0.30, 0.52]``; a missing value is unbounded (no peak: n* infinite)."""
    if e is None:
        return "n/a"
    point = number(e.estimate, digits, unbounded=unbounded)
    low = number(e.low, digits, unbounded="n/a")
    return f"{point} [{low}, {number(e.high, digits, unbounded=unbounded)}]"


def percent(e: Estimate) -> str:
    if e.estimate is None:
        return "n/a"
    return f"{e.estimate:.0%} [{(e.low or 0):.0%}, {(e.high or 0):.0%}]"


def peak_lines(record: SweepRecord) -> list[str]:
    """The fit, the peak, the gap: the sweep's answer in a few lines."""
    fit, pct = record.fit, f"{record.config.get('confidence', 0.95):.0%}"
    if fit is None:
        return [record.fit_note]
    lines = [
        f"fit gold(d) - gold(0) = d (alpha - beta d), d = sqrt(KL_bon), {pct} prompt-bootstrap "
        f"intervals: alpha {interval(fit.alpha, 3)}, beta {interval(fit.beta, 3)} "
        f"(gold-score units; R^2 of R/d on d {number(fit.r_squared)})",
        f"peak: {fit.message}",
        f"  d* {interval(fit.d_star)} sqrt(nats); n* {interval(fit.n_star, 1)}",
    ]
    if fit.gap is not None:
        g = fit.gap
        lines.append(
            f"  at n = {g.n}: proxy gain {g.proxy_gain:+.2f}, gold gain {g.gold_gain:+.2f} "
            f"(score spreads over n = 1); proxy-gold gap {g.gap:+.2f}"
        )
    lines.append(f"  {record.fit_note}")
    return lines


def sweep_lines(record: SweepRecord) -> list[str]:
    """What ``rmh sweep`` prints after the sweep: the curve, the peak, the nonsense onset,
    the trajectories, the folder."""
    lines = [f"best-of-n ({record.kl_note}):"]
    lines.append(
        f"  {'n':>5} {'KL_bon':>7} {'sqrt':>5} {'proxy gain':>11} {'gold gain':>10}  nonsense"
    )
    for c in record.curves:
        lines.append(
            f"  {c.n:>5} {c.kl:>7.2f} {c.d:>5.2f} {number(c.proxy_gain.estimate):>11} "
            f"{number(c.gold_gain.estimate):>10}  {percent(c.nonsense)}"
        )
    lines += peak_lines(record)
    nonsense = record.nonsense
    if nonsense.onset_n is not None:
        onset = next(c for c in record.curves if c.n == nonsense.onset_n)
        lines.append(
            f"nonsense onset ({nonsense.judge} judge): n = {nonsense.onset_n}, where the "
            f"proxy's picks are nonsense {percent(onset.nonsense)} against "
            f"{percent(nonsense.base_rate)} at n = 1"
        )
    else:
        lines.append(
            f"nonsense onset ({nonsense.judge} judge): none within n <= {record.n_max} "
            f"(rate {percent(nonsense.base_rate)} at n = 1)"
        )
    if record.steps is not None:
        lines += step_lines(record)
    if record.trajectories is not None:
        lines += trajectory_lines(record)
    return lines


def reference_text(t: Trajectories) -> str:
    """How the trajectories' references were chosen: the rule's name, then in words."""
    return f"{t.reference_rule}: {t.references}"


def trajectory_lines(record: SweepRecord) -> list[str]:
    """The trajectories' reference rule, then a line per attack (and for all of them)."""
    t = record.trajectories
    if t is None:
        return []
    lines = [f"trajectory references, {clip(reference_text(t), 300)}"]
    for s in t.summary:
        if s.paths == 0:
            continue
        nonsense = (
            f"first judge-confirmed nonsense at median step {number(s.first_nonsense_step, 1)} "
            f"(query {number(s.first_nonsense_queries, 0)}) on {s.reached_nonsense} of {s.paths}"
            if s.reached_nonsense
            else f"no judge-confirmed nonsense on any of {s.paths} paths"
        )
        lines.append(
            f"trajectories, {clip(s.attack, 30)}: gold peaks at median step "
            f"{number(s.gold_peak_step, 1)} (query {number(s.gold_peak_queries, 0)}; at the "
            f"reference on {s.peak_at_start} of {s.paths}); {nonsense}"
        )
    return lines


def step_lines(record: SweepRecord) -> list[str]:
    """An RL run's steps in one or two lines (or the samples' KL, for a single step)."""
    steps = record.steps
    if steps is None:
        return []
    points = steps.steps
    if len(points) == 1:
        return [f"KL of the samples (from their logprobs): {interval(points[0].kl, 3)} nats"]
    first, last = points[0], points[-1]
    kl = (
        f"; KL {number(first.kl.estimate, 3)} -> {number(last.kl.estimate, 3)} nats"
        if steps.kl_available and first.kl is not None and last.kl is not None
        else " (no logprobs: no KL)"
    )
    return [
        f"RL steps {first.step}..{last.step} ({len(points)}): gold peaks at step "
        f"{steps.gold_peak_step}{kl}"
    ]
