"""Fixtures the attack tests share: the planted reward model and a gold judge of it."""

from __future__ import annotations

import pytest

from harness.judges import GoldRMJudge
from harness.models import CallableRewardModel
from harness.scoring import Scorer
from harness.testing import PlantedRewardModel, planted_gold_judge_model


@pytest.fixture(scope="module")
def planted():
    """A reward with a planted exploit (``harness.testing.PlantedRewardModel``)."""
    return PlantedRewardModel.default()


@pytest.fixture(scope="module")
def gold(planted):
    """A gold judge that calls the planted exploit bad."""
    return GoldRMJudge(Scorer(CallableRewardModel(planted_gold_judge_model(planted))))
