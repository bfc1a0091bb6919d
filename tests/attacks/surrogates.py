"""Reward models a transfer attack's tests name as ``module:attribute`` surrogates.

``TARGET`` and ``SHARED`` plant the same words (``SHARED`` in a smaller vocabulary, so
its fingerprint differs: another model with the same hole); ``OTHER`` plants other words
(a surrogate whose hole the target does not have).
"""

from __future__ import annotations

from harness.testing import PlantedRewardModel

TARGET = PlantedRewardModel.default()
SHARED = PlantedRewardModel(
    sorted(set(list(TARGET.words[1:2500]) + sorted(TARGET.planted))), sorted(TARGET.planted)
)
OTHER = PlantedRewardModel.default(seed=1)


def _scores_only(prompts: list[str], responses: list[str]) -> list[float]:
    return TARGET(prompts, responses)


#: The target's reward without its gradients (a black-box surrogate).
SCORES_ONLY = _scores_only
