"""Stop at the peak, live: watch an RL run's samples with gold and judges, and stop it
before the nonsense starts (``docs/watch.md``).

One job per module:

- ``rule``: the stop rule (peaked, nonsense), fixed before any data; pure numpy.
- ``watcher``: ``Watcher.observe``, the framework-neutral entry point: samples a step's
  prompts, has them scored, logs, decides.
- ``scored``: one evaluation's rows scored by gold and judges, and what is written of them.
- ``gold``: the gold RM(s), loaded up front, several standardized and combined.
- ``config``: ``WatchConfig`` (every, sample_prompts, seed, the rule) and judges by name.
- ``log``: the watch log (``watch.jsonl``) and its folder.
- ``trl``: the TRL integration (a reward-function wrapper and a ``TrainerCallback``),
  imported only when asked for (the ``trl`` extra).
"""

from harness.experiments.watch.config import WatchConfig
from harness.experiments.watch.rule import Decision, StopRule
from harness.experiments.watch.watcher import Watcher

__all__ = ["Decision", "StopRule", "WatchConfig", "Watcher"]
