"""Instability probes flip pairs only where the RM hangs on surface form."""

from __future__ import annotations

import random

from attacks.instability import probe_pairs
from harness.core.data import PreferencePair
from harness.core.perturb import PERTURBATIONS
from harness.models import CallableRewardModel
from harness.scoring import Scorer

PAIRS = [
    PreferencePair("Joke?", "Why? Because it was funny.", "No jokes today.", line=1),
    PreferencePair("Joke?", "A pun on bytes.", "I cannot help.", line=2),
]


def case_sensitive(prompts, responses):
    """Prefers longer text, but heavily penalizes lower-case starts (a surface bias)."""
    return [len(r) - (100 if r[:1].islower() else 0) for r in responses]


def test_surface_bias_is_reported_as_instability():
    found = probe_pairs(Scorer(CallableRewardModel(case_sensitive)), PAIRS)
    kinds = {(f.side, f.perturbation) for f in found}
    assert ("chosen", "lowercase") in kinds
    flip = next(f for f in found if f.perturbation == "lowercase")
    assert flip.perturbed_score < flip.rejected_score and flip.swing < 0


def test_a_content_only_reward_has_no_instabilities():
    def content(prompts, responses):
        return [len("".join(c for c in r.lower() if c.isalpha())) for r in responses]

    assert (
        probe_pairs(
            Scorer(CallableRewardModel(content)),
            PAIRS,
            perturbations=["trailing-whitespace", "lowercase", "uppercase"],
        )
        == []
    )


def test_misordered_pairs_are_skipped():
    backwards = [PreferencePair("p", "short", "a much longer rejected answer", line=1)]
    assert probe_pairs(Scorer(CallableRewardModel(case_sensitive)), backwards) == []


def test_every_perturbation_changes_typical_text():
    rng = random.Random(0)
    text = "Why did the programmer quit? Because he didn't get arrays."
    for name, perturb in PERTURBATIONS.items():
        assert perturb(text, rng) != text, name
