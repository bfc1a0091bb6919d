"""Scoring: the one counted, cached, batched path to a reward model (``scorer``), and the
clean pairwise accuracy measured through it (``accuracy``)."""

from harness.scoring.scorer import SCORE_RTOL, CacheKey, Scorer, ScorerStats, outscores

__all__ = ["SCORE_RTOL", "CacheKey", "Scorer", "ScorerStats", "outscores"]
