"""Test helpers shipped with the package: for this project's tests, examples and plugin authors.

One module a job; every helper is also importable from here (``from harness.testing
import build_tiny_checkpoint``):

- ``checkpoints``: tiny real Hugging Face checkpoints (a classifier, a causal LM) built
  offline in well under a second, loaded through the real loaders;
- ``planted``: a reward model with a planted exploit, and a gold judge that disagrees;
- ``suite``: the four joke pairs and the three-attack suite a whole run takes seconds on;
- ``hostile``: attacker-controlled texts every rendering of a finding must keep inert;
- ``serve``: a real ``rmh serve`` process for tests and benchmarks of served models.

Damaged input files for one-line-error tests are ``harness.testing_damage``. No product
module imports these helpers (an import contract checks it); they may use the demo.

Example::

    path = build_tiny_checkpoint(tmp_path / "rm", arch="llama", chat_template=True)
    rm = load_reward_model(path)
"""

from __future__ import annotations

from harness.testing.checkpoints import (
    LLAMA_CHAT_TEMPLATE,
    Arch,
    build_tiny_causal_lm,
    build_tiny_checkpoint,
    copy_checkpoint,
    minilm_dir,
)
from harness.testing.hostile import HOSTILE_TEXTS
from harness.testing.planted import PlantedRewardModel, planted_gold_judge_model
from harness.testing.served import rmh_serve
from harness.testing.suite import TINY_PAIRS, TINY_SUITE, write_tiny_suite

__all__ = [
    "HOSTILE_TEXTS",
    "LLAMA_CHAT_TEMPLATE",
    "TINY_PAIRS",
    "TINY_SUITE",
    "Arch",
    "PlantedRewardModel",
    "build_tiny_causal_lm",
    "build_tiny_checkpoint",
    "copy_checkpoint",
    "minilm_dir",
    "planted_gold_judge_model",
    "rmh_serve",
    "write_tiny_suite",
]
