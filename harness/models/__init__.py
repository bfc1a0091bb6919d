"""Reward-model adapters. ``load_reward_model`` is the one entry point.

A spec is a local checkpoint directory (Hugging Face sequence classifier),
``module:function`` (a Python callable) or an ``http://``/``https://`` URL (a served
reward model). See ``hf.py``, ``callable.py`` and the ``http`` package.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from harness.models.base import Prepared, RewardModel, TokenGradients
from harness.models.callable import CallableRewardModel
from harness.models.hf import HFRewardModel
from harness.models.http.model import HttpRewardModel, is_http_spec
from harness.models.http.options import HttpOptions
from harness.models.options import LoadOptions

__all__ = [
    "CallableRewardModel",
    "HFRewardModel",
    "HttpOptions",
    "HttpRewardModel",
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
    """Load a checkpoint directory, import ``module:function`` when the spec looks like one,
    or connect to the reward model at an ``http://``/``https://`` URL."""
    text = os.fspath(spec)
    if is_http_spec(text):
        return HttpRewardModel.from_spec(text, options)
    if _CALLABLE_SPEC.match(text) and not Path(text).exists():
        return CallableRewardModel.from_spec(text)
    return HFRewardModel.load(text, options)
