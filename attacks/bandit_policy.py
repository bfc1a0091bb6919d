"""How the ``bandit`` attack picks its next arm: Thompson sampling or UCB1 on "a pull found
a new finding", per query.

A pull is a Bernoulli trial (it found a finding this attempt did not have, or it did
not), so each arm's record is a count of pulls and hits. Pulls cost different numbers of
queries (a template pull ~30, a search pull ~100), and what the bandit spends is
queries, so both policies rank arms by their index *per query*: the index divided by
the arm's pull size. That is what makes cheap template hits come first and leaves the
expensive searches what is left, unless the templates keep missing.

- ``thompson``: draw a hit rate from each arm's posterior Beta(1 + hits, 1 + misses)
  (uniform prior) and pull the arm with the best draw per query. An arm never pulled is
  not forced first: its prior already gives it an optimistic chance, and forcing one
  pull of each of ten arms would spend ~500 queries before anything is learnt, more
  than a 150-query budget holds.
- ``ucb``: UCB1 (Auer et al. 2002): each arm is pulled once first, in the given order
  (the rule's convention: an arm never pulled has an unbounded index), then the arm
  with the best ``hit rate + sqrt(2 ln pulls / arm pulls)`` per query.

Both are deterministic given the random generator they are handed (the attempt's).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Policy = Literal["thompson", "ucb"]
POLICIES: tuple[Policy, ...] = ("thompson", "ucb")

#: Texts of an arm's best kept for its next pull (the ``starts`` it begins from).
BEST_KEPT = 8


@dataclass
class ArmState:
    """One arm's record within one attempt: its pulls, hits, spending and best texts."""

    name: str
    family: str
    pull_size: int
    seedable: bool
    pulls: int = 0
    hits: int = 0
    queries: int = 0
    findings: int = 0
    retired: str | None = None
    best: list[tuple[float, str]] = field(default_factory=list)

    def remember(self, scored: Sequence[tuple[float, str | None]]) -> None:
        """Keep the best ``BEST_KEPT`` distinct texts the arm has scored (best first)."""
        merged = dict((text, score) for score, text in self.best)
        for score, text in scored:
            if text is not None and score > merged.get(text, -math.inf):
                merged[text] = score
        ranked = sorted(merged.items(), key=lambda item: (-item[1], item[0]))
        self.best = [(score, text) for text, score in ranked[:BEST_KEPT]]

    def starts(self) -> list[str]:
        """Where a later pull of a seedable arm begins: its best texts so far."""
        return [text for _, text in self.best] if self.seedable and self.pulls else []

    def summary(self) -> dict[str, Any]:
        """The arm's totals, as the attempt's detail records them."""
        return {
            "family": self.family,
            "pulls": self.pulls,
            "hits": self.hits,
            "queries": self.queries,
            "findings": self.findings,
            "retired": self.retired,
        }

    def __repr__(self) -> str:
        state = f"retired: {self.retired}" if self.retired else "active"
        return (
            f"ArmState({self.name!r}, {self.hits}/{self.pulls} pulls hit, "
            f"{self.queries} queries, {state})"
        )


def choose(
    policy: Policy, arms: Sequence[ArmState], rng: random.Random
) -> tuple[ArmState, dict[str, dict[str, float | None]]]:
    """The arm to pull next among ``arms`` (the active ones), and the numbers that chose
    it: per arm, the policy's index and that index per query. Ties go to the earlier arm."""
    if not arms:
        raise ValueError("no arm to choose from")
    numbers: dict[str, dict[str, float | None]] = {}
    per_query: dict[str, float] = {}
    if policy == "thompson":
        for arm in arms:
            theta = rng.betavariate(1 + arm.hits, 1 + arm.pulls - arm.hits)
            per_query[arm.name] = theta / arm.pull_size
            numbers[arm.name] = {"theta": round(theta, 4)}
    elif policy == "ucb":
        untried = [arm for arm in arms if arm.pulls == 0]
        if untried:
            return untried[0], {untried[0].name: {"ucb": None}}  # unbounded: never pulled
        total = sum(arm.pulls for arm in arms)
        for arm in arms:
            ucb = arm.hits / arm.pulls + math.sqrt(2 * math.log(total) / arm.pulls)
            per_query[arm.name] = ucb / arm.pull_size
            numbers[arm.name] = {"ucb": round(ucb, 4)}
    else:
        raise ValueError(f"policy must be one of {', '.join(POLICIES)}, got {policy!r}")
    best = max(arms, key=lambda arm: per_query[arm.name])
    for name, value in per_query.items():
        numbers[name]["per_query"] = round(value, 6)
    return best, numbers
