"""The sweep's plots, drawn from its record alone (matplotlib, no pyplot, no GUI).

``bon_figure``: proxy and gold gain of the proxy's best-of-n pick against sqrt(KL_bon),
each in units of its RM's score spread, with 95% prompt-bootstrap bands, the fitted gold
curve, the peak d* and its interval; below it, the nonsense rate of the picks.
``trajectory_figure``: the attack paths, proxy and gold against queries and against the
word edits made along the path, with each path's gold peak and first judge-confirmed
nonsense marked.
``steps_figure``: an RL run's mean proxy and gold per step (against sqrt(KL) when the
samples carry logprobs); for a watch's sweep, its stop step and best step marked.

The sweep folder keeps them as PNG files (``save_png``, the Agg canvas); the report draws
the same figures again as SVG. Each function returns None when there is nothing to draw.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from harness.experiments.sweep.bon import kl_bon
from harness.experiments.sweep.result import Estimate, StepTrajectory, SweepRecord, Trajectories

PROXY = "#1565c0"
GOLD = "#b8860b"
NONSENSE = "#6a1b9a"
PEAK = "#c62828"
BEST = "#2e7d32"
ATTACK_COLOURS = ("#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037")
STYLE = {"svg.hashsalt": "rm-harness", "svg.fonttype": "none", "font.size": 9}


def _band(values: list[Estimate]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    def column(name: str) -> np.ndarray:
        return np.array(
            [np.nan if getattr(v, name) is None else getattr(v, name) for v in values],
            dtype=float,
        )

    return column("estimate"), column("low"), column("high")


def bon_figure(record: SweepRecord) -> Figure:
    """Proxy and gold against sqrt(KL_bon), the peak, and the nonsense rate below."""
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=(7.0, 5.2))
        top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.3]})
        curves = record.curves
        d = np.array([c.d for c in curves])
        for name, colour, values in (
            ("proxy", PROXY, [c.proxy_gain for c in curves]),
            ("gold", GOLD, [c.gold_gain for c in curves]),
        ):
            est, low, high = _band(values)
            top.plot(d, est, marker="o", color=colour, label=f"{name} (best-of-n pick)")
            top.fill_between(d, low, high, color=colour, alpha=0.18, linewidth=0)
        fit = record.fit
        right = float(d.max()) * 1.05 if len(d) else 1.0
        if fit is not None and fit.alpha.estimate is not None and fit.beta.estimate is not None:
            unit = record.scales.gold_sd if record.scales.gold_sd > 0 else 1.0
            star = fit.d_star.estimate
            span = max(right, min(star * 1.15, 2 * right) if star is not None else right)
            xs = np.linspace(0, span, 200)
            fitted = xs * (fit.alpha.estimate - fit.beta.estimate * xs) / unit
            top.plot(xs, fitted, color=GOLD, linestyle="--", linewidth=1, label="gold fit")
            if star is not None and fit.peak in ("within", "beyond"):
                low = fit.d_star.low if fit.d_star.low is not None else star
                high = fit.d_star.high if fit.d_star.high is not None else span
                top.axvspan(low, min(high, span), color=PEAK, alpha=0.08, linewidth=0)
                top.axvline(star, color=PEAK, linewidth=1)
                n_star = fit.n_star.estimate
                label = f"peak d*={star:.2f}" + (f", n*={n_star:.1f}" if n_star else "")
                top.annotate(label, (star, 0), xytext=(4, 4), textcoords="offset points")
            right = max(right, span)
        top.axhline(0, color="#999", linewidth=0.6)
        top.set_ylabel("gain over n = 1 (score spreads)")
        top.set_title("best-of-n against the proxy: proxy and gold of the pick")
        top.legend(fontsize=8, loc="best")
        top.grid(alpha=0.3)
        secondary = top.secondary_xaxis("top")
        secondary.set_ticks(d, [str(c.n) for c in curves])
        secondary.set_xlabel("n")
        est, low, high = _band([c.nonsense for c in curves])
        bottom.plot(d, est, marker="o", color=NONSENSE)
        bottom.fill_between(d, low, high, color=NONSENSE, alpha=0.18, linewidth=0)
        onset = record.nonsense.onset_n
        if onset is not None:
            bottom.axvline(math.sqrt(kl_bon(onset)), color=NONSENSE, linestyle=":", linewidth=1)
        bottom.set_ylim(-0.03, 1.03)
        bottom.set_ylabel("nonsense rate")
        bottom.set_xlabel("sqrt(KL_bon) (an upper bound on sqrt(KL))")
        bottom.set_xlim(0, right)
        bottom.grid(alpha=0.3)
        return fig


def trajectory_figure(trajectories: Trajectories | None) -> Figure | None:
    """Proxy and gold along each attack path, against queries and against edit distance."""
    if trajectories is None or not trajectories.paths:
        return None
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=(10.5, 3.4))
        axes: list[Axes] = list(fig.subplots(1, 3))
        colours = {
            a: ATTACK_COLOURS[i % len(ATTACK_COLOURS)] for i, a in enumerate(trajectories.attacks)
        }
        for path in trajectories.paths:
            colour = colours.get(path.attack, "#616161")
            queries = [p.queries for p in path.points]
            words = [p.path_edits for p in path.points]
            proxy = [p.proxy_gain for p in path.points]
            gold = [p.gold_gain for p in path.points]
            axes[0].step(queries, proxy, where="post", color=colour, alpha=0.45, linewidth=1)
            axes[1].step(queries, gold, where="post", color=colour, alpha=0.45, linewidth=1)
            axes[2].plot(words, gold, marker=".", color=colour, alpha=0.45, linewidth=0.8)
            peak = path.points[path.gold_peak_step]
            axes[1].plot(peak.queries, peak.gold_gain, "o", color=colour, markersize=4)
            if path.first_nonsense_step is not None:
                bad = path.points[path.first_nonsense_step]
                axes[1].plot(bad.queries, bad.gold_gain, "x", color=PEAK, markersize=5)
        for attack, colour in colours.items():
            axes[0].plot([], [], color=colour, label=attack)
        axes[1].plot([], [], "o", color="#444", markersize=4, label="gold peak")
        axes[1].plot([], [], "x", color=PEAK, markersize=5, label="first nonsense")
        titles = (
            ("queries", "proxy gain over the reference"),
            ("queries", "gold gain over the reference"),
            ("word edits made along the path", "gold gain over the reference"),
        )
        for ax, (xlabel, ylabel) in zip(axes, titles, strict=True):
            ax.set_xlabel(xlabel)
            ax.set_ylabel(f"{ylabel} (spreads)")
            ax.axhline(0, color="#999", linewidth=0.6)
            ax.grid(alpha=0.3)
        for ax in axes[:2]:  # queries: linear to 10, logarithmic after; never negative
            ax.set_xscale("symlog", linthresh=10)
            ax.set_xlim(left=0)
        axes[0].legend(fontsize=7)
        axes[1].legend(fontsize=7)
        fig.suptitle("search attacks from a good response: proxy climbs, does gold?")
        fig.tight_layout()
        return fig


def steps_figure(steps: StepTrajectory | None, record: SweepRecord) -> Figure | None:
    """Mean proxy and gold per RL step (gains over the first step, in score spreads)."""
    if steps is None or len(steps.steps) < 2:
        return None
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=(6.5, 3.2))
        ax = fig.add_subplot()
        points = steps.steps
        if steps.kl_available:
            xs = np.array(
                [math.sqrt(max(p.kl.estimate or 0.0, 0.0)) if p.kl else 0.0 for p in points]
            )
            ax.set_xlabel("sqrt(KL) per step (from the logprobs)")
        else:
            xs = np.array([float(p.step or 0) for p in points])
            ax.set_xlabel("RL step")
        scales = record.scales
        for name, colour, unit in (
            ("proxy", PROXY, scales.proxy_sd),
            ("gold", GOLD, scales.gold_sd if scales.gold_sd > 0 else 1.0),
        ):
            est, low, high = _band([getattr(p, name) for p in points])
            base = est[0]
            ax.plot(xs, (est - base) / unit, marker="o", color=colour, label=name)
            ax.fill_between(xs, (low - base) / unit, (high - base) / unit, color=colour, alpha=0.18)
        marks = _step_marks(steps, record)
        for step, colour, style, label in marks:
            x = xs[[p.step for p in points].index(step)]
            ax.axvline(x, color=colour, linestyle=style, linewidth=1, label=label)
            if record.watch is None:
                continue  # the plain steps plot: the legend names its one line
            ax.annotate(
                label,
                (x, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -3),
                textcoords="offset points",
                rotation=90,
                va="top",
                fontsize=7,
                color=colour,
            )
        ax.axhline(0, color="#999", linewidth=0.6)
        ax.set_ylabel("mean gain over the first step (spreads)")
        ax.set_title("RL steps: proxy and gold of the policy's samples")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        return fig


def _step_marks(
    steps: StepTrajectory, record: SweepRecord
) -> list[tuple[int | None, str, str, str]]:
    """The vertical lines of the steps plot: (step, colour, style, label). Gold's peak over
    the steps; with a watch, its best step (the checkpoint to keep: gold's peak over the
    evaluations it decided on) and its stop step."""
    known = {p.step for p in steps.steps}
    watch = record.watch
    marks = []
    best = watch.best_step if watch is not None else None
    if steps.gold_peak_step is not None and steps.gold_peak_step != best:
        marks.append((steps.gold_peak_step, PEAK, "-", "gold peak"))
    if watch is not None and best in known:
        marks.append((best, BEST, "-", f"best step {best} (keep)"))
    if watch is not None and watch.stop_step in known:
        why = f" ({watch.stop_reason})" if watch.stop_reason in ("peaked", "nonsense") else ""
        marks.append((watch.stop_step, PEAK, "--", f"stop at step {watch.stop_step}{why}"))
    return marks


def save_png(fig: Figure, path: Path) -> Path:
    """Write ``fig`` as PNG through the Agg canvas (no display, no global state)."""
    FigureCanvasAgg(fig)
    fig.savefig(path, format="png", dpi=120, bbox_inches="tight", metadata={"Software": None})
    return path
