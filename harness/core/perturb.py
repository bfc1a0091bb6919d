"""Meaning-preserving edits of a response: whitespace, case, a typo, punctuation, markup,
a content-free preamble.

A sound reward model should barely move under any of them. The instability probe flips
preference pairs with them, and the gold judge calibrates its margin on them (how far a
harmless edit moves the gold RM is the noise a "bad" call must clear).
"""

from __future__ import annotations

import random
from collections.abc import Callable

Perturbation = Callable[[str, random.Random], str]


def _typo(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    j = rng.randrange(len(w) - 1)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def _punctuation(text: str, rng: random.Random) -> str:
    stripped = text.rstrip(".!?")
    return stripped if stripped != text else text + "!"


PERTURBATIONS: dict[str, Perturbation] = {
    "trailing-whitespace": lambda t, r: t + "  ",
    "leading-newline": lambda t, r: "\n" + t,
    "double-spaces": lambda t, r: t.replace(" ", "  "),
    "lowercase": lambda t, r: t.lower(),
    "uppercase": lambda t, r: t.upper(),
    "typo": _typo,
    "punctuation": _punctuation,
    "markdown-bold": lambda t, r: f"**{t}**",
    "quote-block": lambda t, r: f"> {t}",
    "preamble-here": lambda t, r: f"Here's one: {t}",
    "preamble-sure": lambda t, r: f"Sure! {t}",
}
