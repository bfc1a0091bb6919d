"""Reward-model adapters. ``load_reward_model`` is the one entry point.

A spec is either a local checkpoint directory (Hugging Face sequence classifier) or
``module:function`` (a Python callable). See ``hf.py`` and ``callable.py``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from harness.models.base import Prepared, RewardModel, TokenGradients
from harness.models.callable import CallableRewardModel
from harness.models.hf import HFRewardModel
from harness.models.options import LoadOptions

__all__ = [
    "CallableRewardModel",
    "HFRewardModel",
    "LoadOptions",
    "Prepared",
    "RewardModel",
    "TokenGradients",
    "load_reward_model",
]

_CALLABLE_SPEC = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def load_reward_model(
    spec: str | os.PathLike[str], options: LoadOptions | None = None
) -> RewardModel:
    """Load a checkpoint directory, or import ``module:function`` when the spec looks like one."""
    text = os.fspath(spec)
    if _CALLABLE_SPEC.match(text) and not Path(text).exists():
        return CallableRewardModel.from_spec(text)
    return HFRewardModel.load(text, options)
