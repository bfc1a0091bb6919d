"""What the store writes for a finding (``harness.core.finding.Finding``), and its sightings.

The finding itself, and its key, live in ``harness.core.finding``: attacks make it and the
store takes it as it is. What is the store's own business is the column order of a
``findings`` row and what goes in its ``detail`` column.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from harness.core.finding import Finding, finding_key

__all__ = ["Finding", "Sighting", "finding_key", "finding_row", "stored_detail"]


def stored_detail(finding: Finding) -> dict[str, Any]:
    """The ``detail`` column: a search finding's seed, queries, origin and suite id (as the
    store always kept them), or an instability's pair (its ``detail``)."""
    if finding.kind == "instability":
        return dict(finding.detail)
    return {
        "seed": finding.seed,
        "queries_at_find": finding.queries_at_find,
        "seeded": finding.seeded,
        "attack_id": finding.attack_id,
        **finding.detail,
    }


def finding_row(finding: Finding, run_id: str, checkpoint: str, now: str) -> tuple[Any, ...]:
    """The ``findings`` row of ``finding``, in the column order the store inserts."""
    return (
        finding.key,
        finding.kind,
        finding.prompt,
        finding.reference,
        finding.text,
        finding.family,
        finding.attack,
        json.dumps(list(finding.reasons), ensure_ascii=False),
        json.dumps(stored_detail(finding), ensure_ascii=False),
        run_id,
        checkpoint,
        now,
    )


@dataclass(frozen=True)
class Sighting:
    finding_id: int
    score: float
    reference_score: float
    is_open: bool
