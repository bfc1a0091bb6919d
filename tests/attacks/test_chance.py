"""The chance rate per prompt adds up to the chance rate: the same soups, the same wins."""

from __future__ import annotations

from attacks.chance import chance_by_prompt, chance_rate
from harness.core.data import PreferencePair
from harness.models import CallableRewardModel
from harness.scoring import Scorer


def test_chance_by_prompt_sums_to_the_chance_rate():
    def longer_wins(prompts: list[str], responses: list[str]) -> list[float]:
        return [float(len(r)) for r in responses]

    pairs = [
        PreferencePair("short", "ok", "no", line=0),
        PreferencePair("short", "fine", "no", line=0),  # a second reference of one prompt
        PreferencePair("long", "x" * 500, "no", line=0),
    ]
    total = chance_rate(Scorer(CallableRewardModel(longer_wins)), pairs, seed=3)
    by_prompt = chance_by_prompt(Scorer(CallableRewardModel(longer_wins)), pairs, seed=3)
    assert by_prompt == {"short": (10, 10), "long": (0, 5)}  # a soup beats "ok", never 500 x's
    assert sum(w for w, _ in by_prompt.values()) == total.wins and total.n == 15
