"""Surrogate transfer on the demo RM from ``surrogate-demo`` (the demo recipe, seed 2):
built once and cached, a run's worth of checks on two held-out prompts (slow: the first
call trains the surrogate, ~2 minutes on two idle cores)."""

from __future__ import annotations

import pytest

from harness.demo.build import heldout_pairs
from harness.runner.trial import Trial, TrialSpec


@pytest.mark.slow
@pytest.mark.xdist_group("demo-rms")
def test_transfer_from_surrogate_demo_to_demo_counts_both_budgets():
    prompts = tuple({p.prompt: p for p in heldout_pairs()}.values())[:2]
    spec = TrialSpec(
        checkpoint="demo", attack="transfer", params={}, budget=150, prompts=prompts, seed=0
    )
    trial = Trial.prepare(spec)
    surrogate = trial.worker.spec.attacks[0][2]["surrogate"]
    assert surrogate.endswith(tuple("0123456789abcdef")) and "surrogate-rm-" in surrogate
    target = trial.worker.model(0).fingerprint
    for attempt in trial.attempts(baseline=False):
        outcome, detail = attempt.outcome, attempt.outcome.detail["transfer"]
        assert outcome.error is None, outcome.error
        assert outcome.queries == 1 + detail["checked"] <= 150
        assert attempt.entry.surrogate_queries == outcome.surrogate_queries > 0
        assert detail["restarts"] >= 1 and detail["fingerprint"] != target
        assert 0 <= detail["beat_reference"] <= detail["checked"]
