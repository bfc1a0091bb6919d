"""The trajectories' references: the good response each search attack starts from.

Why the rule matters. A trajectory measures how far an attack can climb the proxy before
the gold turns down, counted from its reference (step 0). If the reference is the sample
the *gold* scores highest, the gold has nowhere to go but down: by selection (regression
to the mean) "gold peaks at the reference" becomes likely whatever the proxy does, and
the peak is pulled toward step 0. So the default rule lets neither RM choose:

- ``random`` (default): per prompt, a seeded random sample among those the heuristic
  judge does not call nonsense. The judge reads only the text, so no score enters the
  choice; each row is equally likely (a response sampled twice is twice as likely, as
  under the policy). The seed comes from the sweep seed and the prompt alone
  (``reference_seed``), so a prompt keeps its reference when others are added or removed.
- ``proxy-best``: per prompt, the proxy's favourite among the same non-nonsense samples
  (ties go to the earlier row): where an optimizer that already did best-of-N would start.
- ``file``: the ``--references`` pairs' chosen responses; given, they override the rule.

``gold-best`` names the rule of sweeps recorded before the rule was a choice (the gold's
favourite non-nonsense sample); it is read from old ``sweep.json`` files, never chosen.

    chosen = choose_references("random", samples, prompts, rows, proxy, bad, seed=0)
    chosen.by_prompt["Tell me a joke."], chosen.rule, chosen.description
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harness.core.data import read_pairs
from harness.core.errors import HarnessError
from harness.experiments.sweep.result import FILE_REFERENCES, FILE_RULE
from harness.experiments.sweep.samples import SampleSet

#: The rules ``--trajectory-reference`` offers (the first is the default).
REFERENCE_RULES = ("random", "proxy-best")

#: Each rule in words, for sweep.json's ``references`` and every output.
DESCRIPTIONS = {
    "random": (
        "per prompt, a seeded random sample among those the heuristic judge does not call "
        "nonsense (neither RM's score chooses it)"
    ),
    "proxy-best": (
        "per prompt, the sample the proxy scores highest among those the heuristic judge "
        "does not call nonsense (ties: the earlier row)"
    ),
}


@dataclass(frozen=True)
class References:
    """The chosen reference per prompt, the rule that chose them and that rule in words."""

    by_prompt: dict[str, str]
    rule: str
    description: str


def reference_seed(seed: int, prompt: str) -> int:
    """The seed of one prompt's random reference: from the sweep seed and the prompt only,
    so adding or removing other prompts leaves it unchanged (as ``path_seed`` does)."""
    digest = hashlib.sha256(f"{seed}\0reference\0{prompt}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def random_references(
    samples: SampleSet,
    prompts: Sequence[str],
    rows: Sequence[tuple[int, ...]],
    bad: np.ndarray,
    seed: int,
) -> dict[str, str]:
    """Per prompt, a seeded random row among its non-nonsense ones (none: no reference).

    Takes no score at all: neither RM selects the start of the trajectories."""
    picked = {}
    for prompt, indices in zip(prompts, rows, strict=True):
        fine = [i for i in indices if not bad[i]]
        if fine:
            choice = random.Random(reference_seed(seed, prompt)).choice(fine)
            picked[prompt] = samples.samples[choice].response
    return picked


def proxy_best_references(
    samples: SampleSet,
    prompts: Sequence[str],
    rows: Sequence[tuple[int, ...]],
    proxy: np.ndarray,
    bad: np.ndarray,
) -> dict[str, str]:
    """Per prompt, the proxy's favourite among its non-nonsense rows (ties: the earlier
    row); a prompt whose samples are all nonsense has none."""
    picked = {}
    for prompt, indices in zip(prompts, rows, strict=True):
        fine = [i for i in indices if not bad[i]]
        if fine:
            picked[prompt] = samples.samples[max(fine, key=lambda i: (proxy[i], -i))].response
    return picked


def given_references(path: str | None) -> dict[str, str] | None:
    """The ``--references`` pairs' chosen responses, by prompt (the first pair's), read
    before anything is scored so that a bad file is refused at once."""
    if path is None:
        return None
    chosen: dict[str, str] = {}
    for pair in read_pairs(path):
        chosen.setdefault(pair.prompt, pair.chosen)
    return chosen


def check_rule(rule: str) -> None:
    """Refuse an unknown rule in one line (checked before the sweep scores anything)."""
    if rule not in REFERENCE_RULES:
        raise HarnessError(
            f"unknown trajectory reference rule {rule!r}; use one of {', '.join(REFERENCE_RULES)}"
        )


def choose_references(
    rule: str,
    samples: SampleSet,
    prompts: Sequence[str],
    rows: Sequence[tuple[int, ...]],
    proxy: np.ndarray,
    bad: np.ndarray,
    *,
    seed: int,
) -> References:
    """The references by ``rule`` (one of ``REFERENCE_RULES``) from the sampled rows:
    ``rows[k]`` are the indices in ``samples.samples`` of ``prompts[k]``'s samples, and
    ``proxy`` and ``bad`` (the heuristic judge's verdicts) are indexed the same way."""
    check_rule(rule)
    if rule == "random":
        by_prompt = random_references(samples, prompts, rows, bad, seed)
    else:
        by_prompt = proxy_best_references(samples, prompts, rows, proxy, bad)
    return References(by_prompt, rule, DESCRIPTIONS[rule])


def file_references(path: str, chosen: dict[str, str]) -> References:
    """The references read from ``--references`` (``given_references``)."""
    return References(chosen, FILE_RULE, f"{FILE_REFERENCES}{path}")
