"""The sweep as text: the lines ``rmh sweep`` prints (and ``rmh report`` repeats)."""

from __future__ import annotations

from harness.core.visible import clip
from harness.experiments.sweep.result import Estimate, PeakFit, SweepRecord, Trajectories
from harness.experiments.sweep.watched import WatchSummary


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
    """``12% [8%, 17%]``; one decimal below 10%, where whole percents hide a bound."""
    if e.estimate is None:
        return "n/a"
    digits = 1 if (e.high or 0) < 0.1 else 0
    return f"{e.estimate:.{digits}%} [{(e.low or 0):.{digits}%}, {(e.high or 0):.{digits}%}]"


def peak_lines(record: SweepRecord) -> list[str]:
    """The fit, the peak, the gap: the sweep's answer in a few lines."""
    fit, pct = record.fit, f"{record.config.get('confidence', 0.95):.0%}"
    if fit is None:
        return [record.fit_note]
    spreads = (
        f"alpha {interval(fit.alpha_spread, 3)}, beta {interval(fit.beta_spread, 3)} in gold "
        f"spreads (the gain column's unit); raw gold units: alpha {interval(fit.alpha, 3)}, "
        f"beta {interval(fit.beta, 3)}"
        if fit.alpha_spread is not None and fit.beta_spread is not None
        else f"alpha {interval(fit.alpha, 3)}, beta {interval(fit.beta, 3)} (raw gold units)"
    )
    lines = [
        f"fit gold(d) - gold(0) = d (alpha - beta d), d = sqrt(KL_bon), {fit_weights(fit)}, "
        f"{pct} prompt-bootstrap intervals:",
        f"  {spreads}",
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
    over = record.overoptimization
    if over is not None:
        lines.append(gamma_line(record))
    return lines


def fit_weights(fit: PeakFit) -> str:
    """How the fit weighted its points, in a few words."""
    return {
        "gls": "GLS with the points' bootstrap covariance",
        "wls": "weighted by each point's bootstrap variance (not enough for GLS)",
        "equal": "equal weights (the points do not vary)",
    }.get(fit.weights, "ordinary least squares of R/d on d (schema 1)")


def gamma_line(record: SweepRecord) -> str:
    """gamma with its interval, or why it is unbounded."""
    over = record.overoptimization
    if over is None:
        return "gamma: not measured (no fit)"
    pct = f"{record.config.get('confidence', 0.95):.0%}"
    if over.state != "measured":
        return (
            "gamma: unbounded (gold's fitted gain over the sampled range is <= 0: the proxy's "
            "whole gain is overoptimization)"
        )
    return (
        f"gamma (normalised area between the gold and proxy fits, 0 = none): "
        f"{interval(over.gamma, 3, unbounded='unbounded')} ({pct}; d <= {over.d_max:.2f})"
    )


def onset_line(record: SweepRecord) -> str:
    """The nonsense onset, with the test that found it or the bound when none was found."""
    nonsense = record.nonsense
    head = f"nonsense onset ({nonsense.judge} judge"
    level = f", Holm, one-sided {nonsense.level:.1%}" if nonsense.level is not None else ""
    if nonsense.onset_n is not None:
        onset = next(c for c in record.curves if c.n == nonsense.onset_n)
        p = nonsense.adjusted_p.get(str(nonsense.onset_n))
        shown = f"; adjusted p = {p:.2g}" if p is not None else ""
        return (
            f"{head}{level}): n = {nonsense.onset_n}, where the proxy's picks are nonsense "
            f"{percent(onset.nonsense)} against {percent(nonsense.base_rate)} at n = 1{shown}"
        )
    bound = (
        f"; the rise at any n is at most {nonsense.rise_bound:.1%}"
        if nonsense.rise_bound is not None
        else ""
    )
    return (
        f"{head}{level}): none within n <= {record.n_max} (rate "
        f"{percent(nonsense.base_rate)} at n = 1{bound})"
    )


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
    lines.append(onset_line(record))
    if record.steps is not None:
        lines += step_lines(record)
    if record.watch is not None:
        lines += watch_lines(record.watch)
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


def watch_rule_text(w: WatchSummary) -> str:
    """How the watch evaluated and decided: every, prompts, judges, the rule's parameters."""
    rule, config = w.rule, w.config
    return (
        f"the watch {w.folder} evaluated every {config.get('every')} steps on up to "
        f"{config.get('sample_prompts')} prompts, judges {', '.join(w.judges) or 'none'}; stop "
        f"rule (docs/watch.md): window {rule.get('window')} evaluations, one-sided alpha "
        f"{rule.get('alpha')}, nonsense margin {rule.get('margin')}, {rule.get('resamples')} "
        "prompt resamples"
    )


def stop_text(w: WatchSummary) -> str:
    """The stop: its step, its reason and the decision's message; or that there was none."""
    if w.stop_step is None:
        last = w.evaluations[-1] if w.evaluations else None
        return "no stop: the watcher did not ask the run to stop" + (
            f" (last decision, step {last.step}: {last.message})" if last is not None else ""
        )
    return f"stopped at step {w.stop_step}, reason {w.stop_reason}; the decision: {w.stop_message}"


def best_text(w: WatchSummary) -> str:
    """The best step by gold and, when it differs, the best whose judged-bad share stayed
    within the margin (where each was saved, if known): a gold fooled by what the judges
    catch names a checkpoint that writes it."""
    saved = f", saved as {w.best_checkpoint}" if w.best_checkpoint else ""
    text = f"best step {w.best_step} by gold{saved}"
    if w.best_clean_step is None:  # a watch log written before it was recorded
        return text
    if w.best_clean_step == w.best_step:
        return text + " (the checkpoint to keep)"
    clean = f", saved as {w.best_clean_checkpoint}" if w.best_clean_checkpoint else ""
    return (
        text + f"; best step whose judged-bad share stayed within the margin: "
        f"{w.best_clean_step}{clean} (the checkpoint to keep: gold rates the later "
        "steps higher, but their samples are judged bad more often)"
    )


def failures_text(w: WatchSummary) -> str:
    """The failed evaluations (they decide nothing), or that there were none."""
    if not w.failures:
        return "no failed evaluations"
    steps = ", ".join(str(s) for s in w.failed_steps)
    return f"{w.failures} failed evaluation(s), at step(s) {steps}: they decide nothing"


def watch_lines(w: WatchSummary) -> list[str]:
    """The watch's decision in a few lines (the texts the report shows too)."""
    return [
        f"watch: {clip(stop_text(w), 400)}",
        f"watch: {clip(best_text(w), 300)}; {failures_text(w)}",
        f"watch: {clip(watch_rule_text(w), 400)}",
    ]
