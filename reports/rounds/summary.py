"""The experiment's ``summary.json``: every number of the report, machine-readable.

Schema in ``docs/report.md`` ("The experiment report"). Text fields hold the attacker's
text unchanged (escape it where you render it); a value that was not measured is null.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from reports.rounds.view import (
    METRICS,
    ExperimentView,
    NewExploit,
    Point,
    ReplicateView,
    RoundView,
)
from reports.summary import json_safe

SCHEMA_VERSION = 1
KIND = "experiment"  # a run's summary.json has no "kind"; this tells the two apart


def _point(p: Point) -> dict[str, Any]:
    return asdict(p)


def _replicate(p: ReplicateView) -> dict[str, Any]:
    """One training replicate's run and training (round 0: the shared run)."""
    a, t = p.augment, p.train
    return {
        "run": p.entry.run,
        "run_id": p.entry.run_id,
        "fingerprint": p.entry.fingerprint,
        "retrained": p.entry.retrained,
        "augment": None
        if a is None
        else {
            "pairs": a.pairs,
            "exploits": a.exploits,
            "families": a.families,
            "dropped": a.dropped,
            "train_pairs": a.train_pairs,
            "clean_pairs": a.clean_pairs,
        },
        "train": None
        if t is None
        else {
            "steps": t.steps,
            "final_loss": t.final_loss,
            "train_accuracy": t.train_accuracy,
            "seconds": t.seconds,
            "pairs": t.pairs,
        },
        "nothing_to_add": p.nothing is not None,
        "seconds": p.entry.seconds,
    }


def _round(r: RoundView) -> dict[str, Any]:
    first = _replicate(r.replicates[0])
    return {
        "arm": r.arm,
        "round": r.round,
        "run": first["run"],
        "run_id": first["run_id"],
        "fingerprint": first["fingerprint"],
        "retrained": r.summary.retrained,
        **{m.key: _point(r.points[m.key]) for m in METRICS},
        "censored_share": r.censored_share,
        "fresh_findings": r.summary.fresh_findings,
        "new_exploits": r.summary.new_exploits_every_prompt,  # as the new_exploits list
        "augment": first["augment"],
        "train": first["train"],
        "nothing_to_add": first["nothing_to_add"],
        "seconds": first["seconds"],
        "replicates": [{"replicate": p.replicate, **_replicate(p)} for p in r.replicates],
    }


def _exploit(e: NewExploit) -> dict[str, Any]:
    x = e.exploit
    return {
        "arm": e.arm,
        "round": e.round,
        "id": x.id,
        "representative": x.representative,
        "text": x.text,
        "size": x.size,
        "families": list(x.families),
        "attacks": list(x.attacks),
        "prompts": list(x.prompts),
        "best_margin": x.best_margin,
    }


def experiment_summary(view: ExperimentView) -> dict[str, Any]:
    init, split = view.init, view.split
    verdict = view.verdict.to_json() if view.verdict is not None else None
    if verdict is not None:
        verdict.pop("type")
    return json_safe(
        {
            "schema_version": SCHEMA_VERSION,
            "kind": KIND,
            "experiment": {
                "experiment_id": init.experiment_id,
                "folder": str(view.folder),
                "suite": init.suite.name,
                "checkpoint": init.checkpoint,
                "fingerprint": init.fingerprint,
                "arms": list(init.arms),
                "rounds": init.rounds,
                "trained_families": list(init.trained_families),
                "heldout_families": list(init.heldout_families),
                "seed": init.seed,
                "seeds": view.seeds,
                "trainer": init.trainer,
                "attack_prompts": None if split is None else len(split.attack),
                "evaluation_prompts": None if split is None else len(split.evaluation),
                "complete": view.complete,
                "truncated": view.truncated,
                "missing": view.missing() if not view.complete else [],
                "started_at": init.started_at or None,
                "versions": init.versions,
            },
            "rounds": [_round(r) for r in view.rounds],
            "new_exploits": [_exploit(e) for e in view.new_exploits],
            "errors": [
                {
                    "arm": e.arm,
                    "round": e.round,
                    "replicate": e.replicate,
                    "stage": e.stage,
                    "message": e.message,
                }
                for e in view.errors
            ],
            "verdict": verdict,
        }
    )


def render_experiment_summary(view: ExperimentView) -> str:
    text = json.dumps(experiment_summary(view), indent=2, ensure_ascii=False, allow_nan=False)
    return text + "\n"
