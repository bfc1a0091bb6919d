"""The experiment's ``report.html``: one self-contained page, as the run report is.

The same rules as ``reports.html``: attacker text (the new exploits' representatives)
reaches the page only as Jinja2 text nodes with autoescaping on, after ``shown`` made
invisible, control and bidi characters visible; the plots are SVG data URIs; a
Content-Security-Policy forbids script and network loads.
"""

from __future__ import annotations

from typing import Any

from reports import figures
from reports.html import TEMPLATES, harness_version, shown
from reports.rounds.rows import (
    ROUND_COLUMNS,
    contrast_row,
    mcnemar_rows,
    new_exploit_groups,
    representative,
    round_cells,
    training_rows,
    trend_rows,
)
from reports.rounds.view import METRICS, ExperimentView

MAX_NEW_EXPLOITS = 20  # per round; summary.json lists them all
OUTCOME_CLASS = {
    "helps": "pass",
    "helps-trained-only": "pass",
    "whack-a-mole": "fail",
    "harmful": "fail",
    "inconclusive": "inconclusive",
}


def render_experiment_html(view: ExperimentView) -> str:
    return TEMPLATES.get_template("rounds.html.j2").render(**html_context(view))


def html_context(view: ExperimentView) -> dict[str, Any]:
    init, split = view.init, view.split
    config = init.config
    return {
        "experiment": init,
        "suite": init.suite.name,
        "complete": view.complete,
        "truncated": view.truncated,
        "missing": view.missing(),
        "harness_version": harness_version(),
        "meta": [
            ("starting checkpoint", shown(init.checkpoint, 300)),
            ("fingerprint", init.fingerprint),
            ("suite", f"{init.suite.name} ({init.suite.origin})"),
            ("arms", ", ".join(init.arms)),
            ("rounds", f"{init.rounds} retrained after round 0"),
            ("trained families", ", ".join(init.trained_families) or "none"),
            ("held-out families", ", ".join(init.heldout_families) or "none"),
            (
                "prompts",
                "n/a"
                if split is None
                else f"{len(split.attack)} attack ({split.attack_pairs} pairs), "
                f"{len(split.evaluation)} evaluation ({split.evaluation_pairs} pairs)",
            ),
            ("trainer", shown(init.trainer, 300)),
            (
                "training",
                ", ".join(
                    f"{k} {config[k]}"
                    for k in ("round_pairs", "epochs", "batch_pairs", "learning_rate")
                    if k in config
                ),
            ),
            ("seed", str(init.seed)),
            ("training seeds", f"{view.seeds} per arm and round (pooled in the tables)"),
            ("started", init.started_at or init.time),
            ("packages", ", ".join(f"{k} {v}" for k, v in init.versions.items())),
        ],
        "verdicts": [
            {
                "arm": v.arm,
                "control": v.control,
                "outcome": v.label,
                "css": OUTCOME_CLASS.get(v.outcome, "inconclusive"),
                "final_round": v.final_round,
                "why": v.reasons[0] if v.reasons else "",
                "details": [line.strip() for line in v.reasons[1:] if _detail(line)],
                "extra_prompts": v.extra_prompts_needed,
                "contrasts": [contrast_row(c) for c in v.contrasts],
                "trends": trend_rows(v),
                "mcnemar": mcnemar_rows(v),
            }
            for v in (view.verdict.verdicts if view.verdict else ())
        ],
        "comparisons": [
            contrast_row(c) for c in (view.verdict.comparisons if view.verdict else ())
        ],
        "wall_seconds": view.verdict.wall_seconds if view.verdict else None,
        "curves": [
            {
                "key": m.key,
                "label": m.label,
                "meaning": m.meaning,
                "plot": figures.round_curves(
                    {
                        arm: [(r, p.estimate, p.low, p.high) for r, p in points]
                        for arm, points in view.series(m.key).items()
                    },
                    m.label,
                    m.axis,
                    rate=m.rate,
                ),
            }
            for m in METRICS
        ],
        "columns": ROUND_COLUMNS,
        "arms": [
            {"arm": arm, "rows": [round_cells(r, view.init.seed) for r in view.of_arm(arm)]}
            for arm in view.arms
        ],
        "training": training_rows(view),
        "new_exploits": [
            {
                "arm": g.arm,
                "round": g.round,
                "total": g.total,
                "rows": [
                    {
                        "id": e.exploit.id,
                        "text": shown(representative(e.exploit.text), 300),
                        "size": e.exploit.size,
                        "families": ", ".join(e.exploit.families),
                        "prompts": len(e.exploit.prompts),
                        "margin": f"{e.exploit.best_margin:+.3f}",
                    }
                    for e in g.shown
                ],
            }
            for g in new_exploit_groups(view, MAX_NEW_EXPLOITS)
        ],
    }


def _detail(reason: str) -> bool:
    """The floors' bounds and the power check, among a verdict's reasons (the contrasts
    have their own table)."""
    return "Clopper-Pearson" in reason or reason.startswith(("power before", "  "))
