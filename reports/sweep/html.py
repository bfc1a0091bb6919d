"""The sweep's ``report.html``: one self-contained page, as the run report is.

The same rules as ``reports.html``: text from the samples and the attack paths (prompts,
responses, candidates, judge reasons) reaches the page only as Jinja2 text nodes with
autoescaping on, after ``shown`` made invisible, control and bidi characters visible;
the plots are SVG data URIs; a Content-Security-Policy forbids script and network loads.
The section (``sweep_section.html.j2``) is a template of its own, so another page can
include it.
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
from matplotlib.figure import Figure

from harness.experiments.sweep.plots import STYLE, bon_figure, steps_figure, trajectory_figure
from harness.experiments.sweep.result import SweepRecord
from harness.experiments.sweep.sweep_lines import (
    best_text,
    failures_text,
    number,
    stop_text,
    watch_rule_text,
)
from harness.experiments.sweep.watched import WatchSummary
from harness.gate import Verdict
from reports import figures
from reports.html import TEMPLATES, harness_version, shown
from reports.sweep.rows import (
    confidence,
    curve_cells,
    fit_rows,
    headline,
    onset_text,
    path_where,
    prompts_text,
    reference_note,
    step_cells,
    summary_cells,
    watch_cells,
)

MAX_TEXT = 300


def _uri(fig: Figure | None) -> str | None:
    """The figure as an SVG data URI, saved under the sweep plots' style (fixed hash salt:
    a rebuilt report is byte-identical)."""
    if fig is None:
        return None
    with mpl.rc_context(STYLE):
        return figures.svg_data_uri(fig)


def watch_context(w: WatchSummary | None) -> dict[str, Any] | None:
    """The watch's decision for the RL section; every text through ``shown`` (the folder
    and checkpoint are paths, the judged-bad examples the policy's own text)."""
    if w is None:
        return None
    return {
        "stop_step": "none" if w.stop_step is None else w.stop_step,
        "reason": shown(w.stop_reason or "none", 40),
        "stop": shown(stop_text(w), 2 * MAX_TEXT),
        "best": shown(best_text(w), MAX_TEXT),
        "best_step": "none" if w.best_step is None else w.best_step,
        "failures": shown(failures_text(w), MAX_TEXT),
        "failed": w.failures,
        "rule": shown(watch_rule_text(w), 2 * MAX_TEXT),
        "rows": [[shown(c, MAX_TEXT) for c in watch_cells(s)] for s in w.evaluations],
        "examples_step": w.bad_examples_step,
        "examples": [shown(t, MAX_TEXT) for t in w.bad_examples],
    }


def sweep_context(record: SweepRecord) -> dict[str, Any]:
    """What ``sweep_section.html.j2`` shows, every attacker-shaped text through ``shown``."""
    samples, config = record.samples, record.config
    files = ", ".join(f"{f.path} ({f.rows} rows)" for f in samples.files)
    t = record.trajectories
    return {
        "sweep_id": record.sweep_id,
        "headline": headline(record),
        "peak": record.fit.peak if record.fit is not None else "no-fit",
        "peak_message": record.fit.message if record.fit is not None else record.fit_note,
        "fit_note": record.fit_note,
        "confidence": confidence(record),
        "kl_note": record.kl_note,
        "meta": [
            ("proxy", shown(record.proxy.spec, MAX_TEXT)),
            ("proxy fingerprint", record.proxy.fingerprint),
            ("gold", shown(record.gold.label(), MAX_TEXT)),
            ("gold fingerprint", record.gold.fingerprint),
            ("samples", shown(files, MAX_TEXT)),
            ("samples source", shown(samples.source or "given files", MAX_TEXT)),
            ("prompts", prompts_text(samples)),
            (
                "best-of-n",
                f"n up to {samples.n_max}"
                + ("" if samples.bon_step is None else f", on step {samples.bon_step}'s samples"),
            ),
            (
                "seed, resamples",
                f"seed {record.seed}, {config.get('resamples')} prompt resamples",
            ),
            ("date", f"{record.created_at} ({record.seconds:.0f} s)"),
            ("packages", ", ".join(f"{k} {v}" for k, v in record.versions.items())),
        ],
        "fit_rows": fit_rows(record),
        "onset": onset_text(record),
        "prompts": samples.used_prompts,
        "judge": record.nonsense.judge,
        "judge_note": record.nonsense.note,
        "curves": [curve_cells(c) for c in record.curves],
        "examples": [
            {
                "prompt": shown(e.prompt, MAX_TEXT),
                "response": shown(e.response, MAX_TEXT),
                "samples": e.samples,
                "proxy": f"{e.proxy:.3f}",
                "gold": f"{e.gold:.3f}",
                "nonsense": "yes" if e.nonsense else "no",
                "reasons": [shown(r, 200) for r in e.reasons],
            }
            for e in record.examples
        ],
        "steps": None
        if record.steps is None
        else {
            "note": record.steps.note,
            "peak": "none" if record.steps.gold_peak_step is None else record.steps.gold_peak_step,
            "rows": [step_cells(p) for p in record.steps.steps],
        },
        "watch": watch_context(record.watch),
        "trajectories": None
        if t is None
        else {
            "attacks": ", ".join(t.attacks),
            "budget": t.budget,
            "references": shown(t.references, MAX_TEXT),
            "reference_note": shown(reference_note(t), 2 * MAX_TEXT),
            "judges": " and ".join(t.judges),
            "margin": number(t.gold_margin, 3),
            "note": t.note,
            "summary": [summary_cells(s) for s in t.summary if s.paths],
            "paths": [
                {
                    "attack": p.attack,
                    "prompt": shown(p.prompt, 120),
                    "steps": len(p.points),
                    "queries": p.queries,
                    "peak": path_where(p)[0],
                    "nonsense": path_where(p)[1],
                    "final": shown(p.points[-1].text, MAX_TEXT),
                    "error": shown(p.error, 200) if p.error else "",
                }
                for p in t.paths
            ],
        },
        "no_trajectories": "--no-trajectories, or a gold scores file that cannot score new text",
        "plots": {
            "bon": _uri(bon_figure(record)),
            "trajectory": _uri(trajectory_figure(t)),
            "steps": _uri(steps_figure(record.steps, record)),
        },
    }


def render_sweep_html(
    record: SweepRecord, verdict: Verdict | None = None, policy_origin: str | None = None
) -> str:
    return TEMPLATES.get_template("sweep.html.j2").render(
        sweep=sweep_context(record),
        verdict=verdict,
        policy_origin=policy_origin,
        harness_version=harness_version(),
    )
