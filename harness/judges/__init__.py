"""Validity judges: is a high-scoring candidate really bad? Never asks the attacked RM.

One module per judge, each registered in ``JUDGES`` (see ``base``): ``heuristic`` (text
statistics), ``fluency`` (a small LM's NLL against the reference's), ``gold`` (a second
RM), ``ensemble`` (several RMs vote),
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
    Verdict,
    build_judges,
    calibrate_judges,
    check_spec,
    combine,
    judge_candidates,
    judge_verdicts,
    measures_of,
    needs_calibration,
    register,
    resolve_checkpoints,
)
from harness.judges.disagreement import DisagreementJudge
from harness.judges.ensemble import EnsembleJudge
from harness.judges.fluency import FluencyJudge
from harness.judges.gold import GoldRMJudge, calibrate_gold_margin
from harness.judges.heuristic import HeuristicJudge, TextStats
from harness.judges.review import ReviewQueue

__all__ = [
    "JUDGES",
    "DisagreementJudge",
    "EnsembleJudge",
    "FluencyJudge",
    "GoldRMJudge",
    "HeuristicJudge",
    "Judge",
    "JudgeSpec",
    "Judgement",
    "ModelLoader",
    "ReviewQueue",
    "TextStats",
    "Verdict",
    "build_judges",
    "calibrate_gold_margin",
    "calibrate_judges",
    "check_spec",
    "combine",
    "judge_candidates",
    "judge_verdicts",
    "measures_of",
    "needs_calibration",
    "register",
    "resolve_checkpoints",
]
