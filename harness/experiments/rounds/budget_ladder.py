"""The budget ladder: which fresh-attack budget puts one family's ASR in the band.

A round-0 rate near 0 or 1 can answer nothing: at 0 nothing can fall, at 1 nothing can
rise, and on few prompts either is a floor or a ceiling rather than a measurement. So
before round 0 the experiment tries each trained family at a few budgets and keeps the
first whose attack success rate lies in the band [0.3, 0.7] (``calibrate.py`` measures;
this module only decides, so it is tested on an invented ASR-by-budget oracle).

The ladder, on budget *multiples* of the suite's budgets (every attack of the family
scaled alike, at least 1 query each):

- start at the suite's budgets (multiple 1);
- ASR above the band: halve, down to 1/8 of the suite's (``FLOOR``) or until no budget
  can shrink any more (all at 1);
- ASR below the band: double, up to ``cap`` times the suite's (the last rung is the cap
  itself when it is not a power of two);
- stop at the first rung in the band, or at a rung that measured nothing (no attempt
  ran);
- when a rung lands on the other side of the band from the one before it, the band lies
  between those two rungs (a rate can jump from 0.25 to 0.75 as the budget doubles):
  try the one budget halfway between them (x3/2 between x1 and x2, x3/4 between x1/2
  and x1), then stop.

Without a rung in the band the family keeps the rung closest to it (ties: the earliest
tried, so a family that stays at 0 everywhere keeps the suite's own budgets) and the
record says the band was not reached; the rules' floor and ceiling then speak for it.
Rates are exact fractions, so a tie is a tie and 0.3 is in the band.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from harness.runlog.record import Record

__all__ = [
    "FLOOR",
    "HIGH",
    "LOW",
    "FamilyBudget",
    "Rung",
    "Tally",
    "budgets_at",
    "climb",
    "ladder_multiples",
    "multiple_text",
]

LOW, HIGH = Fraction(3, 10), Fraction(7, 10)
"""The band a calibrated family's fresh ASR should land in."""
FLOOR = Fraction(1, 8)
"""The smallest budget multiple the ladder tries."""


@dataclass(frozen=True)
class Tally:
    """One rung measured: attempts that kept a finding, attempts that ran (not the ones
    that raised: a run's ASR leaves those out too), and the queries every attempt spent."""

    successes: int
    attempts: int
    queries: int


@dataclass(frozen=True, kw_only=True)
class Rung(Record):
    """One budget tried: its multiple of the suite's budgets, the budget per attack id,
    and what it measured."""

    multiple: float
    budgets: dict[str, int]
    successes: int
    attempts: int
    queries: int

    @property
    def rate(self) -> Fraction | None:
        return Fraction(self.successes, self.attempts) if self.attempts else None


@dataclass(frozen=True, kw_only=True)
class FamilyBudget(Record):
    """One family calibrated: every rung tried in order, the one kept (its multiple and
    budgets), whether it lies in the band, and the queries all rungs spent."""

    family: str
    rungs: tuple[Rung, ...]
    multiple: float
    budgets: dict[str, int]
    reached: bool
    queries: int

    def line(self) -> str:
        """One line for the screen: the budgets kept, their ASR, what was tried."""
        kept = next(r for r in self.rungs if r.multiple == self.multiple)
        budgets = ", ".join(f"{a} {b}" for a, b in self.budgets.items())
        asr = f"ASR {kept.successes}/{kept.attempts}"
        band = f"{float(LOW):g}-{float(HIGH):g}"
        verdict = (
            f"{asr}, in the band {band}"
            if self.reached
            else f"the band {band} was not reached; kept the closest, {asr}"
        )
        tried = ", ".join(
            f"{multiple_text(r.multiple)} {r.successes}/{r.attempts}" for r in self.rungs
        )
        return (
            f"calibration, {self.family}: budget {multiple_text(self.multiple)} ({budgets}): "
            f"{verdict}; tried {tried}; {self.queries:,} queries"
        )


def multiple_text(multiple: float | Fraction) -> str:
    """``x2``, ``x1``, ``x1/8``: a budget multiple as the screen shows it."""
    return f"x{Fraction(multiple).limit_denominator(1024)}"


def ladder_multiples(cap: int) -> list[Fraction]:
    """Every multiple the ladder can reach, smallest first: ``FLOOR`` ... 1 ... ``cap``,
    and the one between each two neighbours (tried when the band lies between them)."""
    rungs, m = [], FLOOR
    while m < 1:
        rungs.append(m)
        m *= 2
    m = Fraction(1)
    while True:
        rungs.append(m)
        if m >= cap:
            break
        m = min(m * 2, Fraction(cap))
    middles = [(low + high) / 2 for low, high in itertools.pairwise(rungs)]
    return sorted(rungs + middles)


def budgets_at(base: Mapping[str, int], multiple: Fraction) -> dict[str, int]:
    """Each attack's budget at ``multiple`` of its suite budget (rounded down, at least 1)."""
    return {attack: max(1, math.floor(budget * multiple)) for attack, budget in base.items()}


def _side(rate: Fraction | None) -> int | None:
    """-1 below the band, 0 in it, +1 above it; None when nothing was measured."""
    if rate is None:
        return None
    return -1 if rate < LOW else 1 if rate > HIGH else 0


def _distance(rung: Rung) -> Fraction:
    rate = rung.rate
    assert rate is not None
    return max(LOW - rate, rate - HIGH, Fraction(0))


def _next(multiple: Fraction, direction: int, cap: int) -> Fraction | None:
    """The next rung up (``direction`` 1) or down (-1), or None past the cap or floor."""
    if direction > 0:
        return None if multiple >= cap else min(multiple * 2, Fraction(cap))
    return None if multiple <= FLOOR else multiple / 2


def climb(
    family: str,
    base: Mapping[str, int],
    measure: Callable[[dict[str, int]], Tally],
    *,
    cap: int,
) -> FamilyBudget:
    """Walk the ladder (module doc) for ``family``, whose attacks have the suite budgets
    ``base`` (attack id -> budget); ``measure`` runs the family at the given budgets."""
    if cap < 1:
        raise ValueError(f"the calibration cap must be at least 1, got {cap}")
    rungs: list[Rung] = []

    def measured(multiple: Fraction) -> int | None:
        budgets = budgets_at(base, multiple)
        tally = measure(budgets)
        rung = Rung(
            multiple=float(multiple),
            budgets=budgets,
            successes=tally.successes,
            attempts=tally.attempts,
            queries=tally.queries,
        )
        rungs.append(rung)
        return _side(rung.rate)

    multiple, side = Fraction(1), measured(Fraction(1))
    while side:  # stops in the band (0) or on a rung that measured nothing (None)
        step = _next(multiple, -side, cap)  # above the band: fewer queries
        if step is None or budgets_at(base, step) == budgets_at(base, multiple):
            break
        previous, before = multiple, side
        multiple, side = step, measured(step)
        if side and side != before:  # crossed: the band lies between the last two rungs
            middle = (previous + multiple) / 2
            if all(budgets_at(base, middle) != r.budgets for r in rungs):
                measured(middle)
            break
    scored = [r for r in rungs if r.rate is not None]
    kept = min(scored, key=_distance) if scored else rungs[0]  # min keeps the first tie
    return FamilyBudget(
        family=family,
        rungs=tuple(rungs),
        multiple=kept.multiple,
        budgets=dict(kept.budgets),
        reached=kept.rate is not None and _distance(kept) == 0,
        queries=sum(r.queries for r in rungs),
    )
