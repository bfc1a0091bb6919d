"""Floors and ceilings: when a rate on few prompts can answer nothing.

A fresh-ASR rate that is 0 on most prompts cannot be seen to fall, and "0 of 24 at round
R" cannot be told from "1 of 8 at round 0": the 95% upper bound of 0/24 is above 1/8.
Rules v2 therefore refuse to read such a quantity.

**k\\*.** For n evaluation prompts, k* is the smallest k with ``(1 - k/n)^n < 0.025``:
if the share of prompts on which the attack can succeed were k/n, seeing no success on
any of n prompts would happen less than 2.5% of the time. It is 3 at n = 8 and 4 from
n = 16 on. A fresh-ASR quantity is *floored* when successes occur on fewer than k*
prompts at round 0, or on fewer than k* prompts in both the arm and the control at the
final round; *ceilinged* the same with failures. A rule that needs a floored or
ceilinged quantity cannot fire (``rules``).

Beside each floored quantity the verdict prints the Clopper-Pearson bound on the share of
prompts with a success (exact, one-sided 97.5%, the same level as the floor).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from statsmodels.stats.proportion import proportion_confint

from harness.experiments.rounds.counts import Counts

__all__ = ["Bound", "Limit", "floor_k", "limit_of", "prompt_share_bound"]

Limit = Literal["floor", "ceiling"]
_LEVEL = 0.025  # one-sided, the rules' level


def floor_k(n: int) -> int:
    """The smallest k with ``(1 - k/n)^n < 0.025`` (n evaluation prompts)."""
    for k in range(1, n + 1):
        if (1 - k / n) ** n < _LEVEL:
            return k
    return n + 1  # n = 0: nothing can be told


@dataclass(frozen=True)
class Bound:
    """Prompts with a success (or a failure) out of the prompts with trials, and the
    Clopper-Pearson bound on that share."""

    limit: Limit
    where: str  # "round 0" or "round R in both arms"
    prompts: int
    of: int
    k_star: int
    bound: float  # upper (floor) or lower (ceiling) bound on the share

    def line(self, label: str) -> str:
        side = "with a success" if self.limit == "floor" else "with a failure"
        word = "at most" if self.limit == "floor" else "at least"
        share = "success" if self.limit == "floor" else "success on every trial"
        return (
            f"{label} is {self.limit}ed: {self.prompts} of {self.of} prompts {side} at "
            f"{self.where} (fewer than k* = {self.k_star}); the share of prompts with a "
            f"{share} is {word} {self.bound:.2f} (Clopper-Pearson, 97.5%)"
        )


def prompt_share_bound(successes: int, n: int, *, upper: bool) -> float:
    """Exact one-sided 97.5% bound on a share of prompts (``successes`` of ``n``)."""
    if n == 0:
        return 1.0 if upper else 0.0
    low, high = proportion_confint(successes, n, alpha=2 * _LEVEL, method="beta")
    return float(high if upper else low)


def limit_of(
    round0: Counts, arm_final: Sequence[Counts], control_final: Sequence[Counts]
) -> Bound | None:
    """The floor or ceiling this quantity sits on, or None when it can be read.

    ``arm_final`` and ``control_final`` are the final round's replicates (pooled per
    prompt: a prompt with a success in any replicate has a success).
    """
    arm, control = Counts.pooled(arm_final), Counts.pooled(control_final)
    n = round0.prompts_with_trials()
    k = floor_k(n)
    checks: tuple[tuple[Limit, str, int, int], ...] = (
        ("floor", "round 0", round0.prompts_with_success(), n),
        ("ceiling", "round 0", round0.prompts_with_failure(), n),
    )
    for limit, where, count, of in checks:
        if count < k:
            return Bound(limit, where, count, of, k, _bound(limit, count, of))
    for limit, count_of in (
        ("floor", Counts.prompts_with_success),
        ("ceiling", Counts.prompts_with_failure),
    ):
        counts = [count_of(arm), count_of(control)]
        sizes = [arm.prompts_with_trials(), control.prompts_with_trials()]
        if all(c < floor_k(s) for c, s in zip(counts, sizes, strict=True)):
            worst = max(range(2), key=lambda i: counts[i])
            return Bound(
                limit,  # type: ignore[arg-type]
                "the final round in both arms",
                counts[worst],
                sizes[worst],
                floor_k(sizes[worst]),
                _bound(limit, counts[worst], sizes[worst]),  # type: ignore[arg-type]
            )
    return None


def _bound(limit: Limit, count: int, of: int) -> float:
    """Floor: upper bound on the share of prompts with a success. Ceiling: lower bound on
    the share of prompts where every trial succeeds (1 - upper bound on failures)."""
    upper = prompt_share_bound(count, of, upper=True)
    return upper if limit == "floor" else 1.0 - upper
