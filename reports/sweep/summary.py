"""A sweep's ``summary.json``: the sweep's answers, machine-readable, beside its report.

``sweep.json`` holds everything measured; this file holds what a team tracks across RM
versions, in one small object: the fitted peak (alpha and beta in raw gold units and in
gold spreads), gamma with its interval, the nonsense onset with how it was decided, and
the gate's verdict when a policy sets a sweep check. Schema in ``docs/sweep.md``.
Unbounded or unmeasured numbers are null.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from harness.experiments.sweep.result import Estimate, SweepRecord
from harness.gate import Verdict
from reports.summary import json_safe

SCHEMA_VERSION = 1
KIND = "sweep-summary"  # tells it apart from a run's and an experiment's summary.json


def _estimate(e: Estimate | None) -> dict[str, Any] | None:
    return None if e is None else asdict(e)


def sweep_summary(record: SweepRecord, verdict: Verdict | None) -> dict[str, Any]:
    fit, over, nonsense = record.fit, record.overoptimization, record.nonsense
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": KIND,
        "sweep_id": record.sweep_id,
        "created_at": record.created_at,
        "proxy": {"spec": record.proxy.spec, "fingerprint": record.proxy.fingerprint},
        "gold": {"label": record.gold.label(), "fingerprint": record.gold.fingerprint},
        "prompts": record.samples.used_prompts,
        "n_max": record.n_max,
        "confidence": record.config.get("confidence"),
        "fit": None
        if fit is None
        else {
            "peak": fit.peak,
            "weights": fit.weights,
            "alpha": _estimate(fit.alpha),
            "beta": _estimate(fit.beta),
            "alpha_spread": _estimate(fit.alpha_spread),
            "beta_spread": _estimate(fit.beta_spread),
            "d_star": _estimate(fit.d_star),
            "n_star": _estimate(fit.n_star),
            "n_star_power_of_two": fit.n_star_power_of_two,
            "message": fit.message,
        },
        "gamma": None
        if over is None
        else {"state": over.state, "d_max": over.d_max, **asdict(over.gamma)},
        "nonsense": {
            "judge": nonsense.judge,
            "base_rate": _estimate(nonsense.base_rate),
            "onset_n": nonsense.onset_n,
            "method": nonsense.method,
            "level": nonsense.level,
            "rise_bound": nonsense.rise_bound,
        },
        "verdict": None if verdict is None else verdict.to_dict(),
    }


def render_sweep_summary(record: SweepRecord, verdict: Verdict | None) -> str:
    summary = json_safe(sweep_summary(record, verdict))
    return json.dumps(summary, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
