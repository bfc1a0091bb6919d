"""What one attack did on one prompt (``AttackOutcome``): what ``Attack.run`` returns and
the runner records as the attempt's log line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.core.finding import Finding


@dataclass
class AttackOutcome:
    """What one attack did on one prompt.

    ``findings`` are the kept ones (at most ``keep``, see ``keep_diverse``); ``crossed``
    counts every judged-bad candidate that crossed the bar, and ``first_finding_queries``
    is the query count of the first of those, kept or not. ``lm_tokens`` counts the
    tokens a language model generated for the search (``lm-guided``, the ``lm``
    mutation): its cost beside the queries, never part of them; ``surrogate_queries``
    likewise counts the queries paid to a local surrogate model (``transfer``), never to
    the attacked one. ``detail`` is what the attack says of how it spent the budget (the
    starts it was given, a batch sized from the budget, a bandit's pulls): it goes into
    the attempt's log line as it is, so it must be JSON.
    """

    attack: str
    family: str
    prompt: str
    reference: str
    reference_score: float
    seed: int
    budget: int
    queries: int = 0
    evaluated: int = 0
    best_text: str | None = None
    best_score: float = -np.inf
    findings: list[Finding] = field(default_factory=list)
    crossed: int = 0
    searched_crossed: int = 0  # of ``crossed``, those the search made (not the start)
    first_finding_queries: int | None = None
    seconds: float = 0.0
    error: str | None = None
    lm_tokens: int = 0
    surrogate_queries: int = 0
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def best_margin(self) -> float:
        return self.best_score - self.reference_score

    @property
    def searched_findings(self) -> list[Finding]:
        return [f for f in self.findings if not f.seeded]
