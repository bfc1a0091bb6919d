"""The prompt split: attack prompts (trained on) and evaluation prompts (never trained on).

The experiment's prompts are split once, by seed, before any round. The findings on
*attack* prompts become training data; fresh ASR is measured on *evaluation* prompts,
which no arm ever trains on. Without the split, "fresh ASR fell" would only mean that
the model memorised its test (issue 12).

Prompts are compared in a normal form (``prompt_key``: ends stripped, whitespace runs
folded to one space, case kept), so two spellings of one prompt land on the same side
and an evaluation prompt cannot slip into the training data by a trailing newline. The
split is the same for a seed whatever order the pairs come in: the distinct prompt keys
are sorted, then shuffled by a generator of that seed.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from harness.core.data import PreferencePair
from harness.core.errors import HarnessError

__all__ = ["PromptSplit", "check_disjoint", "prompt_key", "split_prompts"]

_EXAMPLE_CHARS = 60


def prompt_key(prompt: str) -> str:
    """The form prompts are compared in: ends stripped, whitespace runs folded to one space."""
    return " ".join(prompt.split())


def _prompts(items: Iterable[PreferencePair | str]) -> list[str]:
    return [item if isinstance(item, str) else item.prompt for item in items]


@dataclass(frozen=True)
class PromptSplit:
    """The two prompt sets (each sorted, every spelling of a prompt on one side) and the seed."""

    attack: tuple[str, ...]
    evaluation: tuple[str, ...]
    seed: int

    def is_attack(self, prompt: str) -> bool:
        return prompt_key(prompt) in self._attack_keys

    def is_evaluation(self, prompt: str) -> bool:
        return prompt_key(prompt) in self._evaluation_keys

    @cached_property
    def _attack_keys(self) -> frozenset[str]:
        return frozenset(map(prompt_key, self.attack))

    @cached_property
    def _evaluation_keys(self) -> frozenset[str]:
        return frozenset(map(prompt_key, self.evaluation))

    def to_json(self) -> dict[str, Any]:
        return {"seed": self.seed, "attack": list(self.attack), "evaluation": list(self.evaluation)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PromptSplit:
        """Read back ``to_json``; a split whose sides overlap is refused (``check_disjoint``)."""
        try:
            attack, evaluation, seed = data["attack"], data["evaluation"], data["seed"]
        except (KeyError, TypeError):
            raise HarnessError(
                "a prompt split needs the fields attack, evaluation and seed"
            ) from None
        if not all(isinstance(p, str) for p in [*attack, *evaluation]) or not isinstance(seed, int):
            raise HarnessError("a prompt split holds lists of prompt strings and an integer seed")
        split = cls(tuple(attack), tuple(evaluation), seed)
        check_disjoint((), split.evaluation, split.attack)
        return split


def split_prompts(
    pairs: Iterable[PreferencePair | str], *, eval_share: float = 0.5, seed: int
) -> PromptSplit:
    """Split the distinct prompts of ``pairs`` (pairs or prompt strings) by ``seed``.

    ``round(n * eval_share)`` of the ``n`` distinct prompts (at least one, and at least
    one left to attack) go to evaluation, the rest to attack.
    """
    if not 0.0 < eval_share < 1.0:
        raise HarnessError(f"eval_share must be between 0 and 1 (exclusive), got {eval_share}")
    spellings: dict[str, set[str]] = defaultdict(set)
    for prompt in _prompts(pairs):
        spellings[prompt_key(prompt)].add(prompt)
    keys = sorted(spellings)
    if len(keys) < 2:
        raise HarnessError(
            f"the prompt split needs at least 2 distinct prompts, got {len(keys)}; "
            "give more preference pairs"
        )
    random.Random(seed).shuffle(keys)
    n_eval = min(max(math.floor(len(keys) * eval_share + 0.5), 1), len(keys) - 1)

    def side(chosen: list[str]) -> tuple[str, ...]:
        return tuple(sorted(p for key in chosen for p in spellings[key]))

    return PromptSplit(attack=side(keys[n_eval:]), evaluation=side(keys[:n_eval]), seed=seed)


def _example(prompts: list[str]) -> str:
    first = min(prompts)
    return repr(first if len(first) <= _EXAMPLE_CHARS else first[: _EXAMPLE_CHARS - 3] + "...")


def check_disjoint(
    train_pairs: Iterable[PreferencePair | str],
    evaluation_prompts: Iterable[str],
    attack_prompts: Iterable[str] = (),
) -> None:
    """Refuse evaluation prompts that also appear in the training data or the attack prompts.

    An evaluation prompt that is trained on measures memory, not robustness, so this is
    bad input (``HarnessError``, one line, exit 2) that gives the count and an example.
    """
    evaluation = {prompt_key(p): p for p in evaluation_prompts}
    trained = {prompt_key(p) for p in _prompts(train_pairs)}
    attacked = {prompt_key(p) for p in attack_prompts}
    in_train = [evaluation[k] for k in evaluation if k in trained]
    in_attack = [evaluation[k] for k in evaluation if k in attacked]
    problems = []
    if in_train:
        problems.append(
            f"{len(in_train)} evaluation prompts also appear in the training data "
            f"(e.g. {_example(in_train)})"
        )
    if in_attack:
        problems.append(
            f"{len(in_attack)} evaluation prompts are also attack prompts "
            f"(e.g. {_example(in_attack)})"
        )
    if problems:
        raise HarnessError(
            "; ".join(problems) + "; evaluation prompts must never be trained on: "
            "remove them from the training data or use other evaluation prompts"
        )
