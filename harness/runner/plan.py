"""The work of a run, cut into units that can be done in any order, anywhere, once.

A *unit* is one attack on one prompt, for one replicate, on one checkpoint. Its seed is
derived from the suite seed and the unit's coordinates alone, and it scores with a fresh
cache and its own budget, so its findings do not depend on what ran before it, on which
worker ran it, or on whether the run was killed and resumed. That is what makes resume,
the Ray executor and the local executor give the same findings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass


def unit_seed(base: int, attack_id: str, replicate: int, prompt_index: int) -> int:
    """A stable 31-bit seed per unit (Python's ``hash`` is salted per process)."""
    raw = f"{base}:{attack_id}:{replicate}:{prompt_index}".encode()
    return int.from_bytes(hashlib.sha256(raw).digest()[:4], "big") & 0x7FFFFFFF


@dataclass(frozen=True)
class Unit:
    checkpoint: int
    attack_id: str
    replicate: int
    prompt_index: int
    seed: int

    @property
    def id(self) -> str:
        return f"{self.checkpoint}/{self.attack_id}/{self.replicate}/{self.prompt_index}"


def plan_units(
    *,
    checkpoints: int,
    attack_ids: Sequence[str],
    replicates: int,
    prompts: int,
    seed: int,
    skip: Collection[tuple[int, str]] = (),
) -> list[Unit]:
    """Every unit of a run, checkpoint-major, then attack, replicate and prompt.

    ``skip``: ``(checkpoint, attack id)`` pairs that get no units (an attack that cannot
    search that checkpoint). Leaving them out changes no other unit's seed.
    """
    return [
        Unit(c, attack_id, r, p, unit_seed(seed + r, attack_id, r, p))
        for c in range(checkpoints)
        for attack_id in attack_ids
        if (c, attack_id) not in skip
        for r in range(replicates)
        for p in range(prompts)
    ]


def shards(units: Sequence[Unit], chunk: int) -> Iterator[list[Unit]]:
    """Units grouped by (checkpoint, attack) and cut into chunks of at most ``chunk`` prompts."""
    group: list[Unit] = []
    for unit in units:
        if group and (
            (unit.checkpoint, unit.attack_id) != (group[0].checkpoint, group[0].attack_id)
            or len(group) >= chunk
        ):
            yield group
            group = []
        group.append(unit)
    if group:
        yield group
