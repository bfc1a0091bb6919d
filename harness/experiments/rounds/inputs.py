"""The experiment's inputs, checked before anything is written or trained.

Which of the suite's families are trained on and which held out, the arms (the verdict
needs ``clean``; ``synthetic`` needs ``findings``), and the prompts: distinct prompts of
a pair list, a seeded sample of them, the pairs on a set of prompts. Bad input is a
``HarnessError`` naming what to change.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from harness.core.data import PreferencePair
from harness.core.errors import HarnessError
from harness.experiments.rounds.split import prompt_key
from harness.suite import Suite

__all__ = [
    "CONTROL",
    "check_arms",
    "distinct_prompts",
    "pairs_on",
    "sample_prompts",
    "split_families",
    "suite_families",
    "template_families",
]

CONTROL = "clean"
"""The arm every verdict compares with: the same training steps, no extra pairs."""


def template_families() -> set[str]:
    """The families of the degenerate-template attacks: the default held-out families."""
    from attacks.registry import all_attacks
    from attacks.templates import TemplateAttack

    return {cls.family for cls in all_attacks().values() if issubclass(cls, TemplateAttack)}


def suite_families(suite: Suite) -> list[str]:
    from attacks.registry import get_attack

    return sorted({get_attack(a.name).family for a in suite.config.attacks})


def split_families(suite: Suite, heldout: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(trained, held-out) families of the suite; bad names and empty sides refused."""
    families = suite_families(suite)
    if heldout is None:
        held = sorted(set(families) & template_families())
    else:
        held = sorted({f.strip() for f in heldout.split(",") if f.strip()})
        unknown = [f for f in held if f not in families]
        if unknown:
            raise HarnessError(
                f"held-out family {unknown[0]!r} is not attacked by suite {suite.name}; "
                f"its families: {', '.join(families)}"
            )
    if not held:
        default = " (the default: its template families)" if heldout is None else ""
        raise HarnessError(
            f"suite {suite.name} leaves no family held out{default}, so held-out ASR "
            f"cannot be measured; its families: {', '.join(families)}; choose some with "
            "--heldout-families a,b"
        )
    trained = tuple(f for f in families if f not in held)
    if not trained:
        raise HarnessError(
            f"every family of suite {suite.name} is held out ({', '.join(held)}); "
            "the findings arm would never add anything: hold out fewer (--heldout-families)"
        )
    return trained, tuple(held)


def distinct_prompts(pairs: Sequence[PreferencePair]) -> list[str]:
    return list(dict.fromkeys(p.prompt for p in pairs))


def sample_prompts(prompts: list[str], cap: int | None, seed: int) -> list[str]:
    if cap is None or cap >= len(prompts):
        return sorted(prompts)
    return sorted(random.Random(seed).sample(sorted(prompts), cap))


def pairs_on(pairs: Sequence[PreferencePair], prompts: Sequence[str]) -> list[PreferencePair]:
    keys = {prompt_key(p) for p in prompts}
    return [p for p in pairs if prompt_key(p.prompt) in keys]


def check_arms(arms: tuple[str, ...]) -> None:
    if CONTROL not in arms:
        raise HarnessError(
            f"the verdict compares each arm with the {CONTROL} arm (same training steps, "
            f"no extra pairs): add it (--arms {','.join((*arms, CONTROL))})"
        )
    if "synthetic" in arms and "findings" not in arms:
        raise HarnessError(
            "the synthetic arm adds as many pairs as the findings arm found: "
            "run it beside findings (--arms findings,synthetic,...)"
        )
