"""Synthetic degenerate negatives for the demo's gold judge (never for the attacked RM).

The generator moved to ``harness.core.degenerate`` so that the whack-a-mole experiment's
``synthetic`` arm can use it too (product layers must not import the demo). This module
re-exports it for the demo build and for existing importers; the gold RM's training data
is unchanged (same pairs, same order, same draws for a seed).
"""

from __future__ import annotations

from harness.core.degenerate import NON_ANSWERS, degenerate_negatives

__all__ = ["NON_ANSWERS", "degenerate_negatives"]
