"""Validity judges: is a high-scoring candidate really bad? Never asks the attacked RM.

One module per judge, each registered in ``JUDGES`` (see ``base``): ``heuristic`` (text
statistics), ``gold`` (a second RM), ``ensemble`` (several RMs vote),
``disagreement`` (an RM ensemble that disagrees more than it does on real text) and
``review`` (human labels). Third-party judges register through the ``rm_harness.judges``
entry-point group.
"""

from harness.judges.base import (
    JUDGES,
    Judge,
    Judgement,
    JudgeSpec,
    ModelLoader,
    build_judges,
    calibrate_judges,
    check_spec,
    combine,
    judge_candidates,
    needs_calibration,
    register,
    resolve_checkpoints,
)
from harness.judges.disagreement import DisagreementJudge
from harness.judges.ensemble import EnsembleJudge
from harness.judges.gold import GoldRMJudge, calibrate_gold_margin
from harness.judges.heuristic import HeuristicJudge, TextStats
from harness.judges.review import ReviewQueue

__all__ = [
    "JUDGES",
    "DisagreementJudge",
    "EnsembleJudge",
    "GoldRMJudge",
    "HeuristicJudge",
    "Judge",
    "JudgeSpec",
    "Judgement",
    "ModelLoader",
    "ReviewQueue",
    "TextStats",
    "build_judges",
    "calibrate_gold_margin",
    "calibrate_judges",
    "check_spec",
    "combine",
    "judge_candidates",
    "needs_calibration",
    "register",
    "resolve_checkpoints",
]
