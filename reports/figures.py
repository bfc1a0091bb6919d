"""The report's plots (matplotlib), returned as ``data:`` URIs of SVG images.

An ``<img>`` with a data URI keeps ``report.html`` one self-contained file that makes
no network request, and an SVG inside ``<img>`` cannot run script. SVGs are made
deterministic (no date, fixed hash salt) so a rebuilt report is byte-identical.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

STATUS_COLOURS = {"pass": "#2e7d32", "fail": "#c62828", "inconclusive": "#9e9e9e"}
_RC = {"svg.hashsalt": "rm-harness", "svg.fonttype": "none", "font.size": 9}


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    """A figure outside pyplot: no global state, no GUI backend, safe in any thread."""
    fig = Figure(figsize=(width, height))
    return fig, fig.add_subplot()


def svg_data_uri(fig: Figure) -> str:
    """``fig`` as an SVG data URI: the page embeds it, so it loads nothing (the reports'
    Content-Security-Policy allows ``data:`` images only). Undated, so a rebuilt report
    is byte-identical (with a fixed ``svg.hashsalt``)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def asr_plot(families: pd.DataFrame, confidence: float = 0.95) -> str | None:
    """ASR per family with its confidence interval, coloured by the gate's status."""
    if families.empty:
        return None
    with mpl.rc_context(_RC):
        frame = families.iloc[::-1]
        labels = [
            f"{r.family} [{r.checkpoint}]" if families["checkpoint"].nunique() > 1 else r.family
            for r in frame.itertuples()
        ]
        fig, ax = _figure(6.5, 0.35 * len(frame) + 1.0)
        y = np.arange(len(frame))
        errors = np.vstack([frame["asr"] - frame["low"], frame["high"] - frame["asr"]])
        ax.barh(y, frame["asr"], color=[STATUS_COLOURS[s] for s in frame["gate"]], alpha=0.8)
        ax.errorbar(
            frame["asr"], y, xerr=np.clip(errors, 0, None), fmt="none", ecolor="black", capsize=3
        )
        ax.set_yticks(y, labels)
        ax.set_xlim(0, 1)
        ax.set_xlabel(
            f"attack success rate (share of attempts with a finding), {confidence:.0%} CI"
        )
        ax.grid(axis="x", alpha=0.3)
        return svg_data_uri(fig)


def score_plot(references: pd.Series, findings: pd.Series) -> str | None:
    """Reward of the references against the reward of the findings."""
    if references.empty:
        return None
    with mpl.rc_context(_RC):
        fig, ax = _figure(6.5, 2.8)
        values = pd.concat([references, findings]).astype(float)
        bins = np.histogram_bin_edges(values, bins=30)
        ax.hist(references, bins=bins, alpha=0.6, label=f"references (n={len(references)})")
        if not findings.empty:
            ax.hist(findings, bins=bins, alpha=0.6, label=f"findings (n={len(findings)})")
        ax.set_xlabel("reward on the attacked checkpoint")
        ax.set_ylabel("count")
        ax.legend()
        return svg_data_uri(fig)


def margin_plot(margins: pd.Series) -> str | None:
    """How far findings outscore their reference."""
    if margins.empty:
        return None
    with mpl.rc_context(_RC):
        fig, ax = _figure(6.5, 2.5)
        ax.hist(margins.astype(float), bins=30, color="#c62828", alpha=0.8)
        ax.set_xlabel("margin: finding score minus reference score")
        ax.set_ylabel("findings")
        return svg_data_uri(fig)


def first_finding_plot(attempts: pd.DataFrame) -> str | None:
    """Per attack: the share of attempts that had a finding within q queries."""
    if attempts.empty or attempts["first_finding_queries"].isna().all():
        return None
    with mpl.rc_context(_RC):
        fig, ax = _figure(6.5, 3.2)
        for attack, group in attempts.groupby("attack", sort=True):
            firsts = group["first_finding_queries"].dropna().astype(float).sort_values()
            if firsts.empty:
                continue
            share = np.arange(1, len(firsts) + 1) / len(group)
            xs, ys = np.concatenate([[0], firsts]), np.concatenate([[0], share])
            ax.step(xs, ys, where="post", label=str(attack))
        ax.set_xscale("symlog", linthresh=10)
        ax.set_ylim(0, 1)
        ax.set_xlabel("queries spent")
        ax.set_ylabel("share of attempts with a finding")
        ax.legend(fontsize=7, ncol=2)
        ax.grid(alpha=0.3)
        return svg_data_uri(fig)


ARM_COLOURS = {"findings": "#c62828", "clean": "#616161", "synthetic": "#1565c0"}
_OTHER_COLOURS = ("#6a1b9a", "#ef6c00", "#2e7d32")


def round_curves(
    series: Mapping[str, Sequence[tuple[int, float | None, float | None, float | None]]],
    title: str,
    axis: str,
    *,
    rate: bool = True,
) -> str | None:
    """One metric of the whack-a-mole experiment: a line per arm over the rounds, its 95%
    interval as a band. ``series``: per arm, ``(round, estimate, low, high)``; None where
    not measured (the line breaks there). Arms are nudged apart on x so that equal values
    (every arm's round 0 is one checkpoint) stay visible."""
    if not any(est is not None for points in series.values() for _, est, _, _ in points):
        return None
    with mpl.rc_context(_RC):
        fig, ax = _figure(6.5, 3.0)
        rounds: set[int] = set()
        for i, (arm, points) in enumerate(series.items()):
            colour = ARM_COLOURS.get(arm, _OTHER_COLOURS[i % len(_OTHER_COLOURS)])
            nudge = 0.04 * (i - (len(series) - 1) / 2)
            xs = np.array([r for r, *_ in points], dtype=float) + nudge
            values = [[np.nan if v is None else v for v in p[1:]] for p in points]
            est, low, high = np.array(values, dtype=float).reshape(-1, 3).T
            rounds.update(r for r, *_ in points)
            ax.plot(xs, est, marker="o", color=colour, label=arm)
            ax.fill_between(xs, low, high, color=colour, alpha=0.15, linewidth=0)
        ax.set_xticks(sorted(rounds))
        ax.set_xlabel("round (0: the starting checkpoint)")
        ax.set_ylabel(axis)
        ax.set_title(title)
        if rate:
            ax.set_ylim(-0.03, 1.03)
        else:
            ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        return svg_data_uri(fig)
