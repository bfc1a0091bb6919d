"""Small rule-based reward models for the sweep's tests, loaded as ``module:function``
callables (the real callable-RM path of ``harness.models``): fast, and with a known shape.

The proxy likes length (and exclamation marks) without limit; the gold likes distinct
words and about a dozen of them, and penalises length beyond that. Best-of-n against the
proxy picks ever longer responses, so gold first rises and then falls: overoptimization
by construction.
"""

from __future__ import annotations

import math

PREFIX = "tests.harness.experiments.sweep.rewards"


def proxy_reward(prompts: list[str], responses: list[str]) -> list[float]:
    return [min(len(r.split()), 60) / 10 + 0.5 * r.count("!") for r in responses]


def gold_reward(prompts: list[str], responses: list[str]) -> list[float]:
    out = []
    for response in responses:
        words = response.split()
        if not words:
            out.append(-2.0)
            continue
        distinct = len(set(words)) / len(words)
        out.append(2 * distinct + min(len(words), 12) / 6 - max(0, len(words) - 12) / 4)
    return out


def second_gold_reward(prompts: list[str], responses: list[str]) -> list[float]:
    """Another gold on another scale (an ensemble member)."""
    return [100 * g + 7 for g in gold_reward(prompts, responses)]


def reversed_gold_reward(prompts: list[str], responses: list[str]) -> list[float]:
    """The gold upside down: its favourite is this one's least favourite."""
    return [-g for g in gold_reward(prompts, responses)]


def nan_reward(prompts: list[str], responses: list[str]) -> list[float]:
    """The proxy, but NaN for any response mentioning dogs (a broken RM)."""
    scores = proxy_reward(prompts, responses)
    return [math.nan if "dog" in r.lower() else s for s, r in zip(scores, responses, strict=True)]


def fragile_gold_reward(prompts: list[str], responses: list[str]) -> list[float]:
    """The gold, but it fails on the text "BOOM" (a watch's failed evaluation)."""
    if "BOOM" in responses:
        raise RuntimeError("the gold cannot score BOOM")
    return gold_reward(prompts, responses)
