"""Hypothesis fuzzing: targeted property-based search for high-scoring nonsense.

The "property" is "no nonsense outscores the reference". Hypothesis generates structured
nonsense (``attacks.strategies.nonsense``), ``hypothesis.target`` steers generation
toward a higher reward margin, and when a candidate is a finding Hypothesis *shrinks*
it: the last finding it reports is the minimal high-scoring nonsense it could reach
(kept in ``outcome`` as the finding with the fewest characters).

Same seed, same findings, in any process: Hypothesis mixes constants mined from the
loaded local modules into its draws, and the strategies draw nothing they can reach
(``attacks.stable_sampling``), so neither an unrelated import, a Ray worker, nor a wheel
rather than a checkout changes what is tried.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, given, seed, settings, target

from attacks.base import Attack, AttackContext
from attacks.registry import register
from attacks.strategies import nonsense
from harness.core.errors import BudgetExhausted, EndpointError


class _Found(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass(frozen=True)
class FuzzParams:
    shrink: bool = True


@register
class HypothesisFuzz(Attack):
    """Targeted Hypothesis fuzzing over structured nonsense, shrinking to a minimal finding."""

    name = "hypothesis-fuzz"
    family = "fuzz"
    citation = "MacIver et al. 2019, Hypothesis: A new approach to property-based testing"
    Params = FuzzParams

    def search(self, ctx: AttackContext) -> None:
        phases = [Phase.generate, Phase.target] + ([Phase.shrink] if self.params.shrink else [])
        # A model that cannot answer must stop the search (``Attack.run``), but an error
        # raised inside a Hypothesis test is a "bug" that it would replay and shrink:
        # keep it, let every later example pass untried, and raise it once Hypothesis is done.
        down: list[EndpointError] = []

        @seed(ctx.seed)
        @settings(
            max_examples=max(ctx.remaining, 1),
            database=None,
            deadline=None,
            phases=phases,
            suppress_health_check=list(HealthCheck),
            derandomize=False,
            report_multiple_bugs=False,
        )
        @given(nonsense(ctx.prompt))
        def probe(text: str) -> None:
            if down or (ctx.exhausted and ctx.scorer.key(ctx.prompt, text) not in ctx.scorer.cache):
                return
            try:
                scores = ctx.evaluate([text])
            except BudgetExhausted:
                return
            except EndpointError as exc:
                down.append(exc)
                return
            target(float(scores[0]) - ctx.reference_score, label="reward margin")
            if ctx.is_finding(text):
                raise _Found(text)

        try:
            probe()
        except _Found:
            pass
        except Exception:
            # With the model gone, Hypothesis's replay of a finding passes untried and it
            # reports the finding as flaky: the endpoint's error is what to raise then.
            if not down:
                raise
        if down:
            raise down[0]
